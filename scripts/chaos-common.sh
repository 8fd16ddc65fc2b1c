# Shared by scripts/chaos.sh and scripts/soak.sh (sourced, not run).

# chaos_prepare checks the host, builds bin/wharf, the wharf:dev image
# (when Docker works and BACKENDS allows it) and bin/chaos.
chaos_prepare() {
	if [[ $(id -u) != 0 ]]; then
		echo "chaos: needs root (network namespaces, iptables)" >&2
		exit 2
	fi
	if ! command -v iptables >/dev/null 2>&1; then
		echo "chaos: installing iptables" >&2
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iptables >&2
	fi
	export GOFLAGS=${GOFLAGS:--buildvcs=false}
	CGO_ENABLED=0 go build -o bin/wharf ./cmd/wharf
	go build -tags chaos -o bin/chaos ./test/chaos/cmd/chaos
	if [[ ${BACKENDS:-auto} != netns ]] && docker version >/dev/null 2>&1; then
		# FROM scratch: nothing is pulled.
		if ! DOCKER_BUILDKIT=0 docker build -q -t wharf:dev . >/dev/null 2>/tmp/wharf-docker-build.$$; then
			echo "chaos: docker build failed:" >&2
			cat /tmp/wharf-docker-build.$$ >&2
		fi
		rm -f /tmp/wharf-docker-build.$$
	fi
}
