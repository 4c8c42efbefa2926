// Package deploy holds no code: its tests check the deployment files offline (no Docker
// engine, no cluster). They render every kustomize overlay in process and decode each
// object strictly into the Kubernetes API types, load the compose file with the compose
// spec's own loader, and parse the Dockerfiles. A separate module, so the services never
// depend on Kubernetes libraries.
package deploy
