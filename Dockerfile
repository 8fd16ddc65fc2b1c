# Wharf node image. No base image is pulled: the image holds only the
# static binary, built first with `make build` (CGO_ENABLED=0).
FROM scratch
COPY bin/wharf /wharf
VOLUME /data
EXPOSE 9324 7001 7946 7946/udp
ENTRYPOINT ["/wharf"]
CMD ["serve", "--data-dir", "/data", "--api-addr", "0.0.0.0:9324", "--raft-addr", "0.0.0.0:7001", "--gossip-addr", "0.0.0.0:7946"]
