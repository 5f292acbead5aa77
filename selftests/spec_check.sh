#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The YNL spec (Documentation/netlink/specs/nflb.yaml) and the uAPI header
# (uapi/linux/nflb.h) agree on every name and value (scripts/check-spec.py
# states the mapping rules), and the checker really catches disagreements.
# Needs no kernel module.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

CHECK=$NFLB_SRC/scripts/check-spec.py
SPEC=$NFLB_SRC/Documentation/netlink/specs/nflb.yaml
HDR=$NFLB_SRC/uapi/linux/nflb.h

require_cmds python3
python3 -c 'import yaml' 2>/dev/null || ktap_skip_all "python3 yaml module missing (Debian package python3-yaml)"

ktap_header 6

# 1: the real files agree; show the checker's own KTAP as diagnostics on failure.
ktap_check "spec and header agree ($(python3 "$CHECK" --ktap "$SPEC" "$HDR" | grep -c '^ok') checks)" \
	python3 "$CHECK" --ktap "$SPEC" "$HDR"

# must_fail DESC FILE-KIND SED-EXPR EXPECTED-TEXT: mutate a copy of the spec
# or header; the checker must fail and name the problem.
must_fail()
{
	local desc=$1 kind=$2 expr=$3 want=$4 spec=$NFLB_TMP/s.yaml hdr=$NFLB_TMP/h.h out

	if ! cp "$SPEC" "$spec" || ! cp "$HDR" "$hdr"; then
		ktap_fail "$desc (copy)"
		return
	fi
	if [ "$kind" = spec ]; then
		sed -i -e "$expr" "$spec"
		cmp -s "$spec" "$SPEC" && { ktap_fail "$desc (mutation did not apply)"; return; }
	else
		sed -i -e "$expr" "$hdr"
		cmp -s "$hdr" "$HDR" && { ktap_fail "$desc (mutation did not apply)"; return; }
	fi
	out=$(python3 "$CHECK" "$spec" "$hdr" 2>&1)
	if [ $? -eq 1 ] && grep -qF -- "$want" <<<"$out"; then
		ktap_ok "$desc"
	else
		ktap_diag "$out"
		ktap_fail "$desc"
	fi
}

must_fail "detects a renamed header attribute" header \
	's/NFLB_VS_A_MAX_SESSIONS,/NFLB_VS_A_MAXSESSIONS,/' "NFLB_VS_A_MAX_SESSIONS (= 9) missing"
must_fail "detects a changed enum value" header \
	's/NFLB_VS_F_HASH_PORT\t\t= 1 << 2/NFLB_VS_F_HASH_PORT = 1 << 5/' "NFLB_VS_F_HASH_PORT is 32 in the header, 4 in the spec"
must_fail "detects a type disagreement" header \
	's|NFLB_MEMBER_A_WEIGHT,\t/\* u32|NFLB_MEMBER_A_WEIGHT,\t/* u16|' "weight: header says u16, spec u32"
must_fail "detects an unknown spec key" spec \
	's/nested-attributes: timeout/nested-attribute: timeout/' 'unknown key "nested-attribute"'
must_fail "detects a header define missing from the spec" header \
	's/^#define NFLB_NAME_MAX\t\t32/&\n#define NFLB_NEW_LIMIT 7/' "define NFLB_NEW_LIMIT is not described"

ktap_finish
