# infidraw: `make up` runs the whole stack, `make test` runs every test (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help up test fuzz build gen gen-check down clean images images-test test-k8s bench chaos soak

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

up: ## install what is missing, build, start everything, print the URL; Ctrl-C stops it all
	@bash scripts/up.sh

test: ## every test of every language against real PostgreSQL, Redis and S3
	@bash scripts/test.sh

fuzz: ## fuzz frame decoding, stroke validation and the point codecs (FUZZTIME per Go target, default 2m; PROPTEST_CASES for Rust)
	@bash scripts/fuzz.sh

build: ## build every service
	@bash scripts/build.sh

gen: ## regenerate Go and TypeScript from proto/, and the limits of every language from proto/limits.json (other Rust is generated at build time)
	@source scripts/env.sh && npm run -s gen

down: ## stop the backing services left running (make up stops its own)
	@bash scripts/backing.sh stop

clean: down ## remove builds and all local data (.data/)
	@rm -rf bin target .data dist gateway-ts/dist gateway-ts/build web/dist

bench: ## run the benchmarks (about 25 minutes, 4 more the first time to build Centrifugo); results in bench/results/
	@bash scripts/bench.sh --out bench/results

chaos: ## faults under load on a stack of its own (replicas killed and drained, Redis paused and emptied, PostgreSQL restarted, snapshot-rs, tile-delta-go and the gateway killed); results in bench/results/chaos.json
	@bash scripts/chaos.sh

soak: ## half of the measured saturation for DURATION (default 30m) with clients joining and leaving; fails when a resource grows or p99 drifts; results in bench/results/soak.{json,md,svg}
	@bash scripts/soak.sh --duration $(or $(DURATION),30m)

images: ## build the five container images as OCI archives in dist/images/ (no Docker engine, no base image pulled)
	@bash deploy/images.sh

images-test: ## start each image as the chart does (uid 65532, read-only root) against real PostgreSQL/Redis/S3; health, sign-up, a stroke, a tile
	@bash deploy/images-test.sh

test-k8s: ## helm install the chart into a real kube-apiserver + etcd built from source (no kubelet) and check every object is admitted and defaulted
	@bash scripts/test-k8s.sh
