// Package compose proves that the Docker packaging works: the image built
// FROM scratch and the three-node docker-compose cluster come up, serve the
// SQS API through every node, and keep serving when a container is killed.
// It skips itself where Docker or docker-compose is missing.
package compose
