# Entry points: make build | test | test-year-ahead | lint | demo | bench | soak | clean
# Swift lives in /opt/swift on our machines; use it when swift is not on PATH.
ifeq ($(shell command -v swift),)
export PATH := /opt/swift/usr/bin:$(PATH)
endif

# The command-line tests run the built binary, which `swift test` alone does not relink.
# --no-parallel: each X test runs its own Xvfb, window manager and apps; side by side on two
# cores they starve each other. Serially the suite takes about 2½ minutes.
SWIFT_TEST ?= swift build --product understudy && swift test --no-parallel

.PHONY: build test test-year-ahead lint demo bench soak clean

build:
	bash scripts/setup.sh
	swift build -c release --product understudy

test:
	bash scripts/setup.sh
	$(SWIFT_TEST)

# The suite again with every clock of Understudy a year ahead (UNDERSTUDY_CLOCK_SHIFT moves
# WallClock.system, in the test process and the binaries it starts): a test that builds its
# data at a fixed date but lets a component decide by the real clock fails now, not a year
# from now. CI runs it after `make test`. Left out: the suites that never compare against
# the date (X input and frame capture, OCR of frames, actions compiled from a recording,
# replay), which are also the slowest and the most sensitive to a loaded machine.
YEAR_AHEAD_SKIP ?= CaptureTests|ImageRedactionTests|ActionGroundTruthTests|replayReproducesTheFinalScreen
test-year-ahead:
	UNDERSTUDY_CLOCK_SHIFT=365d swift test --skip-build --no-parallel --skip '$(YEAR_AHEAD_SKIP)'

# The sources as swift-format lays them out (.swift-format): CI fails on any difference.
# `swift format format -i -r Sources Tests Package.swift` rewrites them so.
lint:
	swift format lint --strict --recursive Sources Tests Package.swift

demo:
	bash scripts/demo.sh

bench:
	bash scripts/setup.sh bench
	swift build -c release --product understudy
	swift build -c release --product understudy-bench
	bash bench/run.sh

# The crash tests of `make test` with more SIGKILLs: 100 of the recorder instead of 20, 50
# of the collector during uploads instead of 20 (a few minutes).
soak:
	bash scripts/setup.sh
	swift build --product understudy
	UNDERSTUDY_CRASH_KILLS=100 UNDERSTUDY_SERVER_KILLS=50 swift test --no-parallel --filter 'crashLoop|killedDuringUpload' 

clean:
	rm -rf .build-demo .build-bench*
