# Builds the one shaded jar that every function in template.yaml runs, for `sam build` (BuildMethod: makefile) and
# for humans. SAM calls build-<LogicalId> with ARTIFACTS_DIR set; the Java runtime puts $(ARTIFACTS_DIR)/lib/*.jar
# on the classpath.
#
# SAM never groups makefile builds: it runs `make build-<LogicalId>` once for EVERY function whose
# Metadata.BuildMethod is makefile, so each of them needs its target here (MakefileBuildTest runs `make build-X` for
# every such function of template.yaml and fails on a missing one). The jar is a file target that depends on every
# source, so Maven runs once however many functions ask for it. With `build_in_source` (samconfig.toml) make runs in this directory and an
# up-to-date jar is reused across `sam build` runs.

MVN ?= mvn
SHELL := /bin/bash
JAR := functions/zk-lambda/target/zk-lambda.jar
SOURCES := $(shell find pom.xml functions scripts -type f -not -path '*/target/*' 2>/dev/null)
# Logical ids of the template's functions whose Metadata says BuildMethod: makefile.
FUNCTIONS := LaunchHookFunction LaunchResumeFunction CommandStatusFunction TerminateHookFunction HealthCheckFunction

.PHONY: all jar test-java lint $(addprefix build-,$(FUNCTIONS))

all: jar

jar: $(JAR)

$(JAR): $(SOURCES)
	$(MVN) -q -pl functions/zk-lambda -am package -DskipTests
	@test -f $@ || { echo "make: the Maven build did not produce $@" >&2; exit 1; }
	@touch $@

$(addprefix build-,$(FUNCTIONS)): $(JAR)
	@test -n "$(ARTIFACTS_DIR)" || { echo "make: ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 1; }
	mkdir -p "$(ARTIFACTS_DIR)/lib"
	cp $(JAR) "$(ARTIFACTS_DIR)/lib/"

test-java:
	$(MVN) -q verify

# cfn-lint applies the SAM transform first, so it also checks the generated rules, aliases and permissions. Then each
# EnsembleSize alone: TemplateTest writes the template with its size conditions decided (slots 4-7 present or gone).
lint:
	cfn-lint template.yaml
	$(MVN) -q -pl functions/zk-stack -am test -Dtest=TemplateTest -Dsurefire.failIfNoSpecifiedTests=false
	cfn-lint functions/zk-stack/target/templates/template-size-3.json functions/zk-stack/target/templates/template-size-5.json \
	  functions/zk-stack/target/templates/template-size-7.json

# ---------------------------------------------------------------------------------------------------------------
# The two commands of the README.

# For `make local` and the benchmarks: the shrunk zk-lambda.jar (the deployed artifact) is the only copy of the SDK,
# Jackson, zk-core, the adapters and the handlers on it (E2eScenario and ColdPathBench check it: ShrunkArtifact).
ARTIFACT_CP = $$(cat functions/zk-local/target/artifact-classpath.txt):functions/zk-local/target/zk-local-0.1.0-SNAPSHOT.jar

.PHONY: local test tools

# Both commands provision their own tools first (scripts/test/install-deps): nothing to do when everything is there;
# as root the missing Debian packages are installed; otherwise one line says what is missing and how to install it.
# The end-to-end scenario (root, no EVENTS) needs the local cloud's tools; the in-memory replay only Java.
LOCAL_TOOLS = $(if $(EVENTS),java,$$([ "$$(id -u)" -eq 0 ] && echo local || echo java))

tools:
	@bash scripts/test/install-deps test

# Maven's output cut to one line per module built, a running count of dependency downloads (the first run fetches
# them all) and any error, so that `make local` is never a silent minute.
MAVEN_PROGRESS = awk '/^\[INFO\] Building [^ ]+ [0-9]/ { sub(/^\[INFO\] /, ""); print "  maven: " $$0; fflush(); next } \
	/Downloaded from/ { if (n++ % 50 == 0) { print "  maven: downloading dependencies (" n " so far)"; fflush() }; next } \
	/\[ERROR\]|BUILD FAILURE/ { print; fflush() }'

# The main job. As root: the end-to-end scenario (io.zkasg.local.e2e.E2eScenario: the real handlers over a local
# cloud of network namespaces and loop devices, the real scripts, a real ZooKeeper ensemble and client); not root, it
# says so and falls back to the in-memory replay. EVENTS="events/a.json ..." replays those files in memory.
# SIZE=5 runs the five-node scenario instead (two crashes at once, a third failure below quorum; issue 13).
local:
	@bash scripts/test/install-deps $(LOCAL_TOOLS)
	@echo "make local: building the functions and the local cloud with Maven, module by module"
	@set -o pipefail; $(MVN) -B package -DskipTests 2>&1 | $(MAVEN_PROGRESS)
	@echo "make local: built; $(if $(EVENTS),replaying $(EVENTS) in memory,running the end-to-end scenario)"
	@if [ -n "$(EVENTS)" ]; then \
	  java -cp "$(ARTIFACT_CP)" io.zkasg.local.LocalRunner $(EVENTS); \
	else \
	  java -cp "$(ARTIFACT_CP)" io.zkasg.local.e2e.E2eScenario $(if $(SIZE),--nodes $(SIZE)); \
	fi

# Every test: the Java build and its tests (unit, concurrency, HTTP-level adapters, template), then the scripts'
# tests (shellcheck + bats on network namespaces, loop devices and a real ZooKeeper; as root). One closing line.
test: tools
	@set -o pipefail; rm -rf functions/*/target/surefire-reports; \
	$(MVN) -B -ntp verify; mvn_rc=$$?; \
	bash scripts/test/run 2>&1 | tee /tmp/zkasg-bats.log; bats_rc=$$?; \
	bash .ci/summary /tmp/zkasg-bats.log; \
	test $$mvn_rc -eq 0 -a $$bats_rc -eq 0

# Sample events for `sam local invoke`: copies of events/*.json whose timestamps are now, so that the functions do
# not ignore them as older than the heartbeat timeout (the files in events/ keep fixed dates for the tests):
#   make events && sam local invoke LaunchHookFunction -e target/events/launch-us-east-1a.json
EVENTS_OUT ?= target/events
.PHONY: events
events:
	@mkdir -p "$(EVENTS_OUT)"; now=$$(date -u +%Y-%m-%dT%H:%M:%SZ); \
	for f in events/*.json; do \
	  [ "$$f" != events/env-vars.json ] || continue; \
	  sed -E 's/("(time|Time|requested-date-time)": ")[^"]*"/\1'"$$now"'"/' "$$f" > "$(EVENTS_OUT)/$${f##*/}"; \
	done; \
	echo "make: wrote $(EVENTS_OUT)/*.json with the time $$now"

# Benchmark: JVM start to completed hook through the real SDK adapters against the local AWS-shaped endpoint.
.PHONY: bench
bench:
	$(MVN) -q -B -ntp package -DskipTests
	java -XX:TieredStopAtLevel=1 -cp "$(ARTIFACT_CP)" io.zkasg.local.ColdPathBench
	@ls -l $(JAR) | awk '{printf "artifact: %s bytes zipped\n", $$5}'
	@unzip -l $(JAR) | tail -n 1 | awk '{printf "artifact: %s bytes unzipped, %s entries\n", $$1, $$2}'

# Benchmark: the orchestrator's overhead per launch hook under AWS's request throttling (token buckets per action,
# optionally 30 % of the calls refused on top), 1, 10 and 50 launches at once, the real handlers over the real SDK on a
# virtual clock (docs/benchmarks.md). BENCH_ARGS="--launches 10 --refused 0.3" runs a part.
.PHONY: bench-hooks
bench-hooks:
	$(MVN) -q -B -ntp package -DskipTests
	java -cp "$(ARTIFACT_CP)" io.zkasg.local.hooks.HookOverheadBench $(BENCH_ARGS)

# Benchmark: each function started by the AWS Lambda Java runtime interface client against a local Runtime API and the
# local AWS-shaped endpoint, beside a trivial handler: init, first and warm invoke, peak RSS.
.PHONY: bench-runtime
bench-runtime:
	$(MVN) -q -B -ntp package -DskipTests
	java -cp "$(ARTIFACT_CP)" io.zkasg.local.runtime.RuntimeBench $(JAR) functions/zk-local/target/ric-classpath.txt
