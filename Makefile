# The commands the README tells people to type.  The real build is meson.
BUILD ?= build
BUILD_DEPS = gcc libc6-dev make meson ninja-build pkg-config libjansson-dev libseccomp-dev \
	libcurl4-openssl-dev libarchive-dev libssl-dev
RUN_DEPS = busybox-static jq
TEST_DEPS = $(RUN_DEPS) bats jq libcmocka-dev util-linux uidmap iproute2 procps runc python3 \
	bats-support bats-assert docker-registry skopeo umoci attr zstd curl apache2-utils openssl \
	containerd podman conmon docker.io buildah containernetworking-plugins iptables
BENCH_DEPS = $(RUN_DEPS) runc crun util-linux gnuplot-nox fonts-dejavu-core strace linux-perf musl-tools \
	podman buildah bc jq

.PHONY: all deps test-deps build demo check compat bench bench-image bench-engine unit integration format format-check fuzz sanitize reliability reliability-full clean

all: build

deps:
	@scripts/install-deps.sh $(BUILD_DEPS) $(RUN_DEPS)

test-deps:
	@scripts/install-deps.sh $(BUILD_DEPS) $(TEST_DEPS)

$(BUILD)/build.ninja:
	meson setup $(BUILD) >/dev/null

build: $(BUILD)/build.ninja
	@ninja -C $(BUILD) >/dev/null || ninja -C $(BUILD)

# Build, make a busybox bundle and run an isolated container.
demo: deps build
	@scripts/demo.sh $(BUILD)/hako-runtime $(BUILD)/hako

# Unit + integration tests; ends with "N passed, M failed".
check: test-deps build
	@tests/run.sh

# The client batteries alone (containerd, podman, docker: tests/compat, also
# part of check); `COMPAT_RUNTIME=runc make compat` runs them against runc.
compat: test-deps build
	@HAKO_SKIP_UNIT=1 tests/run.sh tests/compat

# hako-runtime vs crun vs runc, interleaved: bench/results/latest.{md,png,tsv},
# then the profile (bench/results/profile.md).  Deps first, then the build
# (a fresh machine has no meson yet).  About two minutes.
bench:
	@scripts/install-deps.sh $(BUILD_DEPS) $(BENCH_DEPS)
	@$(MAKE) --no-print-directory build
	@bench/run.sh
	@bench/profile.sh

# The engine against podman and buildah: run --rm (bench/engine.sh), bridge
# networking (bench/network.sh), build cold and warm (bench/build.sh);
# bench/results/{engine,network,build}.md.  A few minutes.
bench-engine:
	@scripts/install-deps.sh $(BUILD_DEPS) $(BENCH_DEPS) containernetworking-plugins iptables
	@$(MAKE) --no-print-directory build
	@bench/engine.sh
	@bench/network.sh
	@bench/build.sh

# Image pull + unpack: hako vs skopeo+umoci vs podman, against a loopback
# docker-registry, and one core's gzip -d as the limit:
# bench/results/image.md.  About a minute; RUNS=N for other than 7 runs.
IMAGE_BENCH_DEPS = $(RUN_DEPS) docker-registry skopeo umoci podman curl
bench-image:
	@scripts/install-deps.sh $(BUILD_DEPS) $(IMAGE_BENCH_DEPS)
	@$(MAKE) --no-print-directory build
	@bench/image/pull.sh $(RUNS)

# libFuzzer targets (fuzz/: one per parser of untrusted input), built with
# clang + ASan + UBSan in build-fuzz, each run FUZZ_SECONDS (30) from the
# seeds in fuzz/corpus; prints the execs of each and fails on any finding.
fuzz:
	@scripts/install-deps.sh $(BUILD_DEPS) clang
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),30) scripts/fuzz.sh

# The unit tests (and the fuzz regressions) plus a subset of the bats suites
# against a gcc ASan + UBSan + LSan build in build-sanitize; any sanitizer
# report fails it.  About 6 minutes here.
sanitize: test-deps
	@scripts/sanitize.sh

# Fault injection (SIGKILL at each stage of create, of run, the monitor,
# pull and build; a full disk) and load (tests/reliability, also part of
# check; about a minute).  reliability-full: the issue's counts, 1,000
# sequential and 200 concurrent containers, a 60 s log soak, 20 kills each.
reliability: test-deps build
	@HAKO_SKIP_UNIT=1 tests/run.sh tests/reliability

reliability-full: test-deps build
	@HAKO_LOAD_SEQ=1000 HAKO_LOAD_CONC=200 HAKO_SOAK_SECONDS=60 HAKO_FAULT_RUNS=20 \
		HAKO_TEST_TIMEOUT=60 HAKO_SKIP_UNIT=1 tests/run.sh tests/reliability

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@scripts/install-deps.sh clang-format
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
