# The commands the README tells people to type.  The real build is meson.
BUILD ?= build
BUILD_DEPS = gcc libc6-dev make meson ninja-build pkg-config libjansson-dev libseccomp-dev
RUN_DEPS = busybox-static jq
TEST_DEPS = $(RUN_DEPS) bats jq libcmocka-dev util-linux iproute2 procps runc

.PHONY: all deps test-deps build demo check unit integration format format-check clean

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
	@scripts/demo.sh $(BUILD)/hako-runtime

# Unit + integration tests; ends with "N passed, M failed".
check: test-deps build
	@tests/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
