#!/usr/bin/env bash
# Deployment checks, run by ctest (label `deploy`), one group per call:
#
#   services    every service is in CMake, tools/loyalty, deploy/, the chart
#               and the plain manifests; chart and platform versions agree
#   image       the runtime libraries of the final image stage cover what the
#               built binaries link (deploy/Dockerfile)
#   helm        helm lint --strict and helm template with the default, the
#               production and an all-features configuration, each rendering
#               validated (k8s_validate.mjs); broken values files are refused
#               by values.schema.json; broken objects are refused by the
#               validator
#   kustomize   the base is the current rendering of the chart; each overlay
#               builds with kubectl kustomize and validates
#   monitoring  promtool check rules and test rules; the rules and the
#               dashboard only use metrics the code defines (or announced
#               ones, deploy/monitoring/pending-metrics.txt)
#
# Tools come from `tools/loyalty deps` (LOYALTY_TOOLS_DIR, default
# .loyalty/tools). LOYALTY_BUILD_DIR is the build tree whose binaries the
# image check inspects.
set -euo pipefail

ROOT="${LOYALTY_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export LOYALTY_TOOLS_DIR="${LOYALTY_TOOLS_DIR:-$ROOT/.loyalty/tools}"
HELM="$LOYALTY_TOOLS_DIR/bin/helm"
KUBECTL="$LOYALTY_TOOLS_DIR/bin/kubectl"
CHART="$ROOT/helm/loyalty"
VALIDATE=(node "$ROOT/tests/deploy/k8s_validate.mjs")
HERE="$ROOT/tests/deploy"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

failures=0
pass() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; failures=$((failures + 1)); }
need() {
  [[ -x "$1" ]] || { echo "missing $1: run tools/loyalty deps" >&2; exit 1; }
}

# Sorted, one per line.
lines() { tr ' ' '\n' | sed '/^$/d' | sort; }

same_list() {
  local what="$1" expected="$2" actual="$3"
  if [[ "$expected" == "$actual" ]]; then
    pass "$what"
  else
    fail "$what differs from CMake's LOYALTY_ALL_SERVICES:"
    diff <(echo "$expected") <(echo "$actual") >&2 || true
  fi
}

# Kinds/names of a multi-document YAML stream: "Deployment/loyalty-cards".
deployments_in() {
  awk '/^kind: /{kind=$2} /^  name: /{if (kind=="Deployment") print $2; kind=""}' "$1" |
    sed -n 's/^loyalty-//p' | grep -vx -e postgres -e redis | sort
}

# ---------------------------------------------------------------- services

check_services() {
  need "$HELM"
  local cmake
  cmake="$(sed -n 's/^set(LOYALTY_ALL_SERVICES \(.*\))$/\1/p' "$ROOT/CMakeLists.txt" | lines)"
  [[ -n "$cmake" ]] || { fail "no LOYALTY_ALL_SERVICES in CMakeLists.txt"; return; }

  same_list "tools/loyalty SERVICES" "$cmake" \
    "$(sed -n 's/^SERVICES="\(.*\)"$/\1/p' "$ROOT/tools/loyalty" | lines)"
  same_list "deploy/Dockerfile service list" "$cmake" \
    "$(sed -n 's/^# Services: \(.*\)$/\1/p' "$ROOT/deploy/Dockerfile" | lines)"
  same_list "chart values.yaml services" "$cmake" \
    "$(sed -n '/^services:$/,/^[^ ]/s/^  \([a-z]*\):$/\1/p' "$CHART/values.yaml" | lines)"
  same_list "chart values.schema.json services" "$cmake" \
    "$(node -e 'const s=require(process.argv[1]);console.log(s.properties.services.required.join(" "))' \
        "$CHART/values.schema.json" | lines)"
  "$HELM" template loyalty "$CHART" >"$WORK/default.yaml"
  same_list "Deployments rendered by the chart" "$cmake" "$(deployments_in "$WORK/default.yaml")"
  same_list "Deployments of deploy/kubernetes/base" "$cmake" \
    "$(deployments_in "$ROOT/deploy/kubernetes/base/loyalty.yaml")"
  same_list "images of the prod overlay" "$cmake" \
    "$(sed -n 's/.*{name: loyalty-\([a-z]*\),.*/\1/p' \
        "$ROOT/deploy/kubernetes/overlays/prod/kustomization.yaml" | lines)"

  local project chart
  project="$(sed -n 's/^project(loyalty VERSION \([0-9.]*\) .*/\1/p' "$ROOT/CMakeLists.txt")"
  chart="$(sed -n 's/^appVersion: "\(.*\)"$/\1/p' "$CHART/Chart.yaml")"
  if [[ "$project" == "$chart" ]]; then
    pass "chart appVersion $chart = project version"
  else
    fail "chart appVersion '$chart' is not the project version '$project'"
  fi
}

# ---------------------------------------------------------------- image

# The final stage installs runtime packages by name; they must provide every
# library the binaries link directly (the base image has libc and
# libstdc++; the sanitizer runtimes exist only in test builds).
check_image() {
  local build="${LOYALTY_BUILD_DIR:-$ROOT/build/dev}" binaries=() svc
  for svc in $(sed -n 's/^set(LOYALTY_ALL_SERVICES \(.*\))$/\1/p' "$ROOT/CMakeLists.txt"); do
    binaries+=("$build/services/$svc/loyalty_$svc")
  done
  local missing=0 b
  for b in "${binaries[@]}"; do
    [[ -x "$b" ]] || { fail "no binary $b (build first)"; missing=1; }
  done
  ((missing == 0)) || return

  local libs
  libs="$(for b in "${binaries[@]}"; do
      needed="$(readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
      ldd "$b" | awk -v needed=" $needed" \
        'index(needed, " " $1 " ") && $3 ~ /^\// {print $3}'
    done | sort -u)"
  # By multiarch folder and file name: dpkg knows some libraries under /lib,
  # others under /usr/lib.
  local packages="" lib real owner
  for lib in $libs; do
    real="$(readlink -f "$lib")"
    owner="$(dpkg -S "*/$(basename "$(dirname "$real")")/$(basename "$real")" 2>/dev/null |
      head -n1 | cut -d: -f1)"
    [[ -n "$owner" ]] || { fail "no Debian package owns $lib"; continue; }
    packages+="$owner"$'\n'
  done
  packages="$(sort -u <<<"$packages" | sed '/^$/d' |
    grep -vx -e libc6 -e libstdc++6 -e libgcc-s1 -e 'libasan[0-9]*' -e 'libubsan[0-9]*')"
  local installed
  installed="$(awk '/^FROM /{stage++} stage==2' "$ROOT/deploy/Dockerfile" |
    sed -n '/apt-get install/,/rm -rf/p' | tr ' \\' '\n\n' |
    grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vx -e apt-get -e install -e update -e rm | sort -u)"
  local pkg ok=1
  for pkg in $packages; do
    if ! grep -qx "$pkg" <<<"$installed"; then
      fail "deploy/Dockerfile final stage lacks $pkg (linked by the services)"
      ok=0
    fi
  done
  ((ok)) && pass "final image stage provides $(echo $packages)"
}

# ---------------------------------------------------------------- helm

validate() {
  local what="$1"; shift
  if "${VALIDATE[@]}" "$@" >"$WORK/validate.log" 2>&1; then
    pass "$what: $(tail -n1 "$WORK/validate.log")"
  else
    fail "$what"
    cat "$WORK/validate.log" >&2
  fi
}

# $1: a description; the rest: a command that must fail with output
# containing $EXPECT.
refused() {
  local what="$1"; shift
  if "$@" >"$WORK/refused.log" 2>&1; then
    fail "$what was accepted"
  elif ! grep -qF -- "$EXPECT" "$WORK/refused.log"; then
    fail "$what was refused, but not for '$EXPECT':"
    cat "$WORK/refused.log" >&2
  else
    pass "$what is refused ($EXPECT)"
  fi
}

check_helm() {
  need "$HELM"
  local name args
  declare -A configs=(
    [default]=""
    [prod]="-f $ROOT/helm/values-prod.yaml"
    [everything]="--set networkPolicy.enabled=true,serviceMonitor.enabled=true,ingress.enabled=true,autoscaling.enabled=false,podDisruptionBudget.enabled=false"
  )
  for name in default prod everything; do
    read -r -a args <<<"${configs[$name]}"
    if "$HELM" lint --strict "$CHART" "${args[@]}" >"$WORK/lint.log" 2>&1; then
      pass "helm lint --strict ($name values)"
    else
      fail "helm lint --strict ($name values)"
      cat "$WORK/lint.log" >&2
    fi
    if "$HELM" template loyalty "$CHART" --namespace loyalty "${args[@]}" >"$WORK/$name.yaml" 2>"$WORK/template.log"; then
      validate "helm template ($name values)" --external-secret loyalty-database --external-secret loyalty-token-keys "$WORK/$name.yaml"
    else
      fail "helm template ($name values)"
      cat "$WORK/template.log" >&2
    fi
  done

  # Each file names what the schema must say about it on its first line.
  local bad
  for bad in "$HERE"/bad-values/*.yaml; do
    EXPECT="$(sed -n '1s/^# expect: //p' "$bad")"
    refused "bad values $(basename "$bad")" "$HELM" lint --strict "$CHART" -f "$bad"
  done

  # The validator is no rubber stamp: mistakes in rendered objects fail it.
  local -a mutations=(
    's/readOnlyRootFilesystem: true/readOnlyRootFilesytem: true/|unknown field spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem'
    's/^    name: loyalty-pos$/    name: loyalty-post/|scales missing Deployment/loyalty-post'
    's/runAsNonRoot: true/runAsNonRoot: false/|may run as root'
    's/drop: \["ALL"\]/drop: ["NET_RAW"]/|keeps capabilities'
    's/port: 50051$/port: "50051"/|schema'
    's/^      targetPort: grpc$/      targetPort: grpcc/|has no container port grpcc'
    's/^      app.kubernetes.io\/component: cards$/      app.kubernetes.io\/component: card/|selects no pods'
    's/"loyalty-cards:50051"/"loyalty-cards:50052"/|LOYALTY_CARDS_ADDRESS is loyalty-cards:50052'
    '/readinessProbe:/,/failureThreshold/d|has no readinessProbe'
    '/^kind: ConfigMap/,/^---/s/name: loyalty-config$/name: loyalty-settings/|ConfigMap loyalty-config is missing'
  )
  local m
  for m in "${mutations[@]}"; do
    sed -e "${m%%|*}" "$WORK/default.yaml" >"$WORK/mutated.yaml"
    if cmp -s "$WORK/default.yaml" "$WORK/mutated.yaml"; then
      fail "mutation '${m%%|*}' changed nothing"
      continue
    fi
    EXPECT="${m#*|}"
    refused "rendering with '${m%%|*}'" "${VALIDATE[@]}" --external-secret loyalty-database --external-secret loyalty-token-keys "$WORK/mutated.yaml"
  done
}

# ---------------------------------------------------------------- kustomize

check_kustomize() {
  need "$KUBECTL"
  if "$ROOT/tools/loyalty" manifests --check >"$WORK/render.log" 2>&1; then
    pass "deploy/kubernetes/base/loyalty.yaml is the chart's current rendering"
  else
    fail "deploy/kubernetes/base/loyalty.yaml is stale"
    cat "$WORK/render.log" >&2
  fi
  local overlay
  for overlay in dev prod; do
    if "$KUBECTL" kustomize "$ROOT/deploy/kubernetes/overlays/$overlay" >"$WORK/$overlay.yaml" 2>"$WORK/kustomize.log"; then
      pass "kubectl kustomize overlays/$overlay"
    else
      fail "kubectl kustomize overlays/$overlay"
      cat "$WORK/kustomize.log" >&2
      continue
    fi
  done
  # dev brings its own database and token-key Secrets; prod expects existing ones.
  validate "overlays/dev" "$WORK/dev.yaml"
  validate "overlays/prod" --external-secret loyalty-database --external-secret loyalty-token-keys "$WORK/prod.yaml"
  EXPECT="Secret loyalty-database is missing"
  refused "overlays/prod without its external Secret" "${VALIDATE[@]}" "$WORK/prod.yaml"
}

# ---------------------------------------------------------------- monitoring

check_monitoring() {
  command -v promtool >/dev/null || { echo "missing promtool: run tools/loyalty deps" >&2; exit 1; }
  local dir="$ROOT/deploy/monitoring"
  if promtool check rules "$dir/loyalty-rules.yml" >"$WORK/promtool.log" 2>&1; then
    pass "promtool check rules: $(grep -o '[0-9]* rules found' "$WORK/promtool.log")"
  else
    fail "promtool check rules"; cat "$WORK/promtool.log" >&2
  fi
  if (cd "$dir" && promtool test rules loyalty-rules.test.yml) >"$WORK/promtool.log" 2>&1; then
    pass "promtool test rules"
  else
    fail "promtool test rules"; cat "$WORK/promtool.log" >&2
  fi
  if node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' \
      "$dir/grafana-dashboard.json" 2>"$WORK/json.log"; then
    pass "grafana-dashboard.json is JSON"
  else
    fail "grafana-dashboard.json"; cat "$WORK/json.log" >&2
  fi

  # Metric names the code registers: string literals of metric form in the
  # sources (prometheus-cpp's .Name("...") or a helper taking the name).
  local defined used pending name base
  defined="$(grep -rhoE --include='*.cc' '"(loyalty|grpc_server|grpc_client)_[a-z0-9_]+"' \
    "$ROOT/libs" "$ROOT/services" | tr -d '"' | sort -u)"
  pending="$(sed -e 's/#.*//' -e '/^\s*$/d' "$dir/pending-metrics.txt" | sort -u)"
  used="$(cat "$dir/loyalty-rules.yml" "$dir/grafana-dashboard.json" "$dir/prometheus.yml" |
    grep -oE '\b(loyalty|grpc_server|grpc_client)_[a-z0-9_]+' | sort -u)"
  local ok=1
  for name in $used; do
    base="$(sed -E 's/_(bucket|count|sum)$//' <<<"$name")"
    if grep -qx -e "$name" -e "$base" <<<"$defined"; then continue; fi
    if grep -qx "$name" <<<"$pending"; then continue; fi
    fail "metric $name is used by deploy/monitoring but defined nowhere in the code"
    ok=0
  done
  ((ok)) && pass "every metric in the rules and the dashboard exists ($(wc -w <<<"$used") names)"
  for name in $pending; do
    if grep -qx "$name" <<<"$defined"; then
      echo "note  $name is now defined in the code: remove it from deploy/monitoring/pending-metrics.txt"
    elif ! grep -qx "$name" <<<"$used"; then
      fail "pending metric $name is not used: remove it from pending-metrics.txt"
    fi
  done
}

case "${1:-}" in
  services) check_services ;;
  image) check_image ;;
  helm) check_helm ;;
  kustomize) check_kustomize ;;
  monitoring) check_monitoring ;;
  *) echo "usage: $0 services|image|helm|kustomize|monitoring" >&2; exit 2 ;;
esac
if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
