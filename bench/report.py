#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the raw figures of bench/bench.sh (raw.jsonl) into the benchmark report.

    bench/report.py RAW.jsonl OUTDIR [--wall SECS] [--two RAW2.jsonl]

RAW2: the two-VM sync run's figures (bench/run.sh sync_vm), reported with the
session sync table and kept in latest.json's raw list marked "vm": "two".

Writes OUTDIR/latest.json (every raw figure plus the summary), OUTDIR/latest.txt
(the tables, reStructuredText, as pasted into Documentation/performance.rst) and
OUTDIR/latest.png (gnuplot: ratios to plain routing, and the table-size curve).

Rates were measured in the guest's virtual time, where one second is 62.5
million guest instructions (QEMU -icount shift=4), so instructions per operation
are 62.5e6 / rate.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

IPS = 62.5e6  # guest instructions per virtual second (icount shift=4)
METHODS = ["plain", "ipvs", "nft", "nflb"]
SYNC = "nflbsync"  # nflb with session sync to a second node (TCP only)
REF = "bare"  # plain routing with nflb.ko not loaded: a reference, not a method
OTHER = "other"  # plain routing, nflb has a VS for another VIP: a reference too
NAMES = {
    "bare": "(nflb.ko not loaded)",
    "other": "(nflb VS elsewhere)",
    "plain": "plain routing",
    "ipvs": "IPVS NAT (rr)",
    "nft": "nftables DNAT",
    "nflb": "nflb (rr)",
    "nflbsync": "nflb (rr) + sync",
}
METRICS = [
    ("tcp_cps", "TCP connections/s", "conn"),
    ("udp_pps", "UDP packets/s", "packet"),
    ("udp_reply_pps", "UDP reply packets/s", "packet"),
    ("bulk_bps", "bulk TCP bit/s", None),
]


def med(v):
    return statistics.median(v) if v else None


def spread(v):
    """(max - min) / median, as a fraction."""
    if not v:
        return None
    m = statistics.median(v)
    return (max(v) - min(v)) / m if m else None


def fmt(v, nd=0):
    if v is None:
        return "n/a"
    return f"{v:,.{nd}f}"


def pct(v, nd=1):
    return "n/a" if v is None else f"{100 * v:.{nd}f}%"


def bucket_str(b):
    """vmalloc'ed rhashtable bucket arrays ("33558528+..."), as MiB."""
    if not b or not isinstance(b, str):
        return "" if not b else f"{b / 2**20:.1f} MiB"
    return "+".join(f"{int(x) / 2**20:.1f}" for x in b.split("+")) + " MiB"


def rst_table(head, rows):
    cols = list(zip(*([head] + rows)))
    w = [max(len(str(c)) for c in col) for col in cols]
    line = "  ".join("=" * x for x in w)
    out = [line, "  ".join(str(h).ljust(x) for h, x in zip(head, w)), line]
    for r in rows:
        out.append("  ".join(str(c).ljust(x) for c, x in zip(r, w)).rstrip())
    out.append(line)
    return "\n".join(out)


def summarize(raw):
    s = {"instructions_per_virtual_second": IPS}
    meta = {}
    for r in raw:
        if r.get("phase") == "meta":
            meta.update({k: v for k, v in r.items() if k != "phase"})
        if r.get("phase") == "done":
            s["guest_run"] = r
    s["meta"] = meta

    # Interleaved rounds; round 0 is a warm-up and not counted.
    rounds = [r for r in raw if r.get("phase") == "rounds" and "value" in r
              and r.get("round", 0) >= 1]
    s["rounds_counted"] = len({r["round"] for r in rounds})
    res = {}
    s["max_idle"] = max([r.get("idle", 0) for r in raw if isinstance(r.get("idle"), (int, float))]
                        or [0])
    for metric, _, unit in METRICS:
        per = {m: {} for m in METHODS + [REF, OTHER, SYNC]}
        for r in rounds:
            if r["metric"] == metric and r["method"] in per:
                per[r["method"]][r["round"]] = r["value"]
        mres = {}
        for m in METHODS + [REF, OTHER, SYNC]:
            vals = [per[m][k] for k in sorted(per[m])]
            d = {"values": vals, "median": med(vals), "spread": spread(vals),
                 "min": min(vals) if vals else None, "max": max(vals) if vals else None}
            # Ratio to plain routing, round by round (the rounds interleave, so
            # drift hits both sides of each ratio alike).
            ratios = [per[m][k] / per["plain"][k] for k in sorted(per[m])
                      if k in per["plain"] and per["plain"][k]]
            d["ratio_values"] = ratios
            d["ratio"] = med(ratios)
            d["ratio_min"] = min(ratios) if ratios else None
            d["ratio_max"] = max(ratios) if ratios else None
            d["overhead"] = None if d["ratio"] is None else 1 - d["ratio"]
            if unit and d["median"]:
                d["instr_per_op"] = IPS / d["median"]
            mres[m] = d
        if unit and mres["plain"].get("instr_per_op"):
            for m in METHODS + [REF, OTHER, SYNC]:
                if mres[m].get("instr_per_op"):
                    mres[m]["instr_above_plain"] = (mres[m]["instr_per_op"]
                                                    - mres["plain"]["instr_per_op"])
        oi, on = mres["ipvs"]["overhead"], mres["nflb"]["overhead"]
        mres["nflb_overhead_vs_ipvs"] = on / oi if oi and on is not None else None
        res[metric] = mres
    s["rates"] = res

    # nflb's cost per TCP connection, rebuilt from its UDP figures: state
    # setup + packets towards the members x forward cost + replies x reply cost.
    st = [r for r in raw if r.get("phase") == "rounds" and r.get("metric") == "nflb_tcp_stats"
          and isinstance(r.get("sessions"), (int, float)) and r["sessions"] > 0]
    if st:
        pin = med([r["pkts_in"] / r["sessions"] for r in st])
        pout = med([r["pkts_out"] / r["sessions"] for r in st])
        s["nflb_tcp_packets"] = {"in_per_conn": pin, "out_per_conn": pout}

    mem = {}
    for r in raw:
        if r.get("phase") == "memory" and "sessions" in r:
            d = dict(r)
            if r["sessions"] > 0:
                d["bytes_per_session"] = r["objects"] * r["slab_size"] / r["sessions"]
                d["slab_total_per_session"] = r["slab_total_delta"] / r["sessions"]
            mem[r["method"]] = d
        elif r.get("phase") == "memory":
            mem[r["method"]] = dict(r)
    base = mem.get("plain", {}).get("slab_total_delta")
    for m, d in mem.items():
        if m != "plain" and base is not None and d.get("sessions"):
            d["slab_total_minus_plain_per_session"] = (d["slab_total_delta"] - base) / d["sessions"]
        if d.get("new_flow_rate"):
            d["instr_per_new_flow"] = IPS / d["new_flow_rate"]
    p = mem.get("plain", {}).get("instr_per_new_flow")
    for m, d in mem.items():
        if p and d.get("instr_per_new_flow") and m != "plain":
            d["instr_per_new_flow_above_plain"] = d["instr_per_new_flow"] - p
            u = s["rates"]["udp_pps"].get(m, {}).get("instr_above_plain")
            if u is not None:
                # what creating the state costs beyond forwarding one packet
                d["instr_session_setup"] = d["instr_per_new_flow_above_plain"] - u
    s["memory"] = mem
    tp = s.get("nflb_tcp_packets")
    nm = mem.get("nflb", {})
    if tp and nm.get("instr_session_setup") is not None:
        fwd = res["udp_pps"]["nflb"].get("instr_above_plain")
        rep = res["udp_reply_pps"]["nflb"].get("instr_above_plain")
        if fwd is not None and rep is not None:
            tp["estimate_from_udp"] = (nm["instr_session_setup"] + tp["in_per_conn"] * fwd
                                       + tp["out_per_conn"] * rep)
            tp["measured"] = res["tcp_cps"]["nflb"].get("instr_above_plain")

    ctl = {}
    for r in raw:
        if r.get("phase") == "control" and "mode" in r:
            d = dict(r)
            if "busy_secs" in r:
                d["instructions"] = r["busy_secs"] * IPS
            elif "guest_secs" in r:
                d["instructions"] = r["guest_secs"] * IPS
            ctl[r["mode"]] = d
        elif r.get("phase") == "control":
            ctl["skipped"] = r.get("skipped")
    s["control"] = ctl

    tab = {}
    for r in raw:
        if r.get("phase") != "table":
            continue
        t = r.get("sessions_target")
        if r.get("metric") == "udp_pps":
            e = tab.setdefault(t, {"values": [], "sessions": []})
            e["values"].append(r["value"])
            e["sessions"].append(r["sessions"])
            e["delivered"] = e.get("delivered", 0) + r.get("delivered", 0)
            e["secs"] = e.get("secs", 0) + r.get("secs", 0)
        elif r.get("metric") == "spin":
            e = tab.setdefault(t, {"values": [], "sessions": []})
            e["spin"] = r["value"]
            e["buckets"] = r.get("buckets")
        elif r.get("skipped"):
            tab.setdefault(t, {"values": [], "sessions": []})["skipped"] = r["skipped"]
        elif r.get("metric") in ("fill", "slab", "flush"):
            s.setdefault("table_extra", []).append(r)
    base = tab.get(min(tab)) if tab else None
    for t in sorted(tab):
        e = tab[t]
        e["median"] = med(e["values"])
        e["spread"] = spread(e["values"])
        # The rounds together span a whole GC pass: their mean is the rate.
        e["mean"] = e["delivered"] / e["secs"] if e.get("secs") else e["median"]
    for t in sorted(tab):
        e = tab[t]
        if base and base.get("mean") and e.get("mean"):
            e["ratio_to_smallest"] = e["mean"] / base["mean"]
            e["instr_per_packet"] = IPS / e["mean"]
            if base.get("spin") and e.get("spin"):
                # Share of the CPU left after background work (the GC).
                e["cpu_left"] = e["spin"] / base["spin"]
                e["instr_per_packet_fg"] = IPS * e["cpu_left"] / e["mean"]
    s["table"] = {str(k): v for k, v in sorted(tab.items())}

    s["sync"] = sync_summary(raw, res)
    s["redirect"] = redirect_summary(raw)

    # Targets (shown, not asserted).
    tg = []
    for metric in ("tcp_cps", "udp_pps"):
        v = res[metric]["nflb_overhead_vs_ipvs"]
        tg.append({"target": f"nflb overhead <= 1/2 of IPVS's ({metric})",
                   "value": v, "met": None if v is None else v <= 0.5})
    b = mem.get("nflb", {}).get("bytes_per_session")
    tg.append({"target": "<= 128 bytes per IPv4 session", "value": b,
               "met": None if b is None else b <= 128})
    big = tab.get(max(tab)) if tab else None
    if big and big is not base and big.get("ratio_to_smallest"):
        v = big["ratio_to_smallest"]
        tg.append({"target": f"rate with {max(tab):,} sessions >= 90% of {min(tab):,}",
                   "value": v, "met": v >= 0.9})
    c = ctl.get("batch")
    if c and "busy_secs" in c:
        tg.append({"target": "10,000 members configured in < 2 s (virtual CPU time)",
                   "value": c["busy_secs"], "met": c["busy_secs"] < 2})
    s["targets"] = tg
    sync_targets(s)
    return s


SYNC_TARGET = "sync adds <= 25% to nflb's cost a TCP connection (creating node"


def sync_targets(s):
    """The sync cost target, from the two-VM run when there is one: the
    creating node alone in its guest, against nflb's figure in that same
    guest.  The one-guest split (which counts node 2's IP receive and
    worker wake-ups as the creating node's) is shown as an upper bound."""
    tg = [t for t in s["targets"] if not t["target"].startswith(SYNC_TARGET)]
    sy = s.get("sync", {})
    vm = sy.get("vm")
    if vm and vm.get("added_ratio") is not None:
        v = vm["added_ratio"]
        tg.append({"target": SYNC_TARGET + ", in a VM of its own)", "value": v, "met": v <= 0.25})
    if sy.get("creating_ratio") is not None:
        v = sy["creating_ratio"]
        tg.append({"target": SYNC_TARGET + "; one-guest split, an upper bound)", "value": v,
                   "met": v <= 0.25})
    s["targets"] = tg


def sync_tx_traced(r):
    """The sending node's traced work in a traced record: its transmit timer,
    send workers and tick, less the peer's UDP receive that runs nested in
    their sends (udp_rcv_in_tx; runs before it had no timer and every
    udp_rcv nested in a worker)."""
    return (r.get("nflb_sync_tx_timer_instr", 0)
            + r.get("nflb_sync_tx_work_instr", 0) + r.get("nflb_sync_tx_later_instr", 0)
            + r.get("nflb_sync_tick_instr", 0) + r.get("nflb_sync_nack_work_instr", 0)
            - r.get("udp_rcv_in_tx_instr", r.get("udp_rcv_instr", 0)))


def sync_summary(raw, res):
    """Session sync: cost a connection (rounds with and without sync, split
    between the nodes by the traced run), lag, bulk resyncs."""
    sy = {}
    tcp = res["tcp_cps"]
    rs = {r["round"]: r["value"] for r in raw if r.get("phase") == "rounds"
          and r.get("metric") == "tcp_cps" and r.get("method") == SYNC and "value" in r}
    rn = {r["round"]: r["value"] for r in raw if r.get("phase") == "rounds"
          and r.get("metric") == "tcp_cps" and r.get("method") == "nflb" and "value" in r}
    # what sync adds, round by round (both nodes: they share the guest)
    d = [IPS / rs[k] - IPS / rn[k] for k in sorted(rs) if k in rn and rs[k] and rn[k]]
    sy["added_values"] = d
    sy["added"] = med(d)
    sy["nflb_above_plain"] = tcp["nflb"].get("instr_above_plain")
    sy["sync_above_plain"] = tcp[SYNC].get("instr_above_plain")
    st = [r for r in raw if r.get("phase") == "rounds" and r.get("metric") == "sync_tcp"
          and r.get("sessions", 0) > 0]
    if st:
        sy["records_per_conn"] = med([r["tx_records"] / r["sessions"] for r in st])
        sy["datagrams_per_conn"] = med([r["tx_datagrams"] / r["sessions"] for r in st])
        sy["bytes_per_conn"] = med([r["tx_bytes"] / r["sessions"] for r in st])
        sy["drain_secs_max"] = max(r.get("drain_secs", 0) for r in st)
        sy["rx_lost"] = sum(max(r.get("rx_lost", 0), 0) for r in st)
    tr = next((r for r in raw if r.get("phase") == "sync" and r.get("metric") == "traced_tcp"), None)
    if tr and tr.get("sessions") and tr.get("rx_records"):
        rx = tr.get("udp_rcv_instr", 0) + tr.get("nflb_sync_rx_work_instr", 0)
        tx = sync_tx_traced(tr)
        sy["traced"] = dict(tr)
        sy["rx_per_conn"] = rx / tr["sessions"]
        sy["rx_per_record_live"] = rx / tr["rx_records"]
        sy["tx_traced_per_conn"] = tx / tr["sessions"]
        sy["records_per_datagram_live"] = tr["tx_records"] / max(tr["tx_datagrams"], 1)
        if sy.get("added") is not None:
            sy["creating"] = sy["added"] - sy["rx_per_conn"]
            if sy.get("nflb_above_plain"):
                sy["creating_ratio"] = sy["creating"] / sy["nflb_above_plain"]
                sy["added_ratio"] = sy["added"] / sy["nflb_above_plain"]
    lag = next((r for r in raw if r.get("phase") == "sync" and r.get("metric") == "lag"), None)
    if lag and str(lag.get("lags_us", "")):
        v = [int(x) for x in str(lag["lags_us"]).split(",") if x]
        if v:
            sy["lag_us"] = {"values": v, "median": med(v), "min": min(v), "max": max(v)}
    bulks = {}
    for r in raw:
        if r.get("phase") == "sync" and r.get("metric") == "bulk":
            b = dict(r)
            if "sessions" in r:
                rx = r.get("udp_rcv_instr", 0) + r.get("nflb_sync_rx_work_instr", 0)
                tx = sync_tx_traced(r)
                if r.get("rx_records"):
                    b["rx_per_record"] = rx / r["rx_records"]
                    b["busy_per_record"] = (r.get("busy_settled_secs", r["busy_secs"]) * IPS
                                            / r["rx_records"])
                if r.get("tx_records"):
                    b["tx_per_record"] = tx / r["tx_records"]
                if r.get("sessions"):
                    b["bytes_per_session"] = r["link_bytes"] / r["sessions"]
            bulks[r.get("size", "big")] = b
    sy["bulk"] = bulks
    return sy


def sync_vm_summary(raw):
    """The two-VM run (bench/run.sh sync_vm): the creating node alone in its
    VM, node 2 in another.  Instructions a connection from each round's rate
    and idle share (an idle guest's time passes in real time there, so idle
    time is taken out rather than assumed absent)."""
    per = {}
    for r in raw:
        if (r.get("phase") == "rounds" and r.get("metric") == "tcp_cps" and "value" in r
                and r.get("round", 0) >= 1 and r["value"]):
            idle = r.get("idle", 0) if isinstance(r.get("idle"), (int, float)) else 0
            per.setdefault(r["method"], {})[r["round"]] = IPS * (1 - idle) / r["value"]
    pl, nf, sy = per.get("plain", {}), per.get("nflb", {}), per.get(SYNC, {})
    added = [sy[k] - nf[k] for k in sorted(sy) if k in nf]
    above = [nf[k] - pl[k] for k in sorted(nf) if k in pl]
    if not added or not above:
        return None
    v = {"added_values": added, "added": med(added), "nflb_above_plain": med(above),
         "rounds": len(added),
         "max_idle": max([r.get("idle", 0) for r in raw if r.get("phase") == "rounds"
                          and isinstance(r.get("idle"), (int, float))] or [0])}
    v["added_ratio"] = v["added"] / v["nflb_above_plain"]
    st = [r for r in raw if r.get("phase") == "rounds" and r.get("metric") == "sync_tcp"
          and r.get("sessions", 0) > 0]
    if st:
        v["records_per_conn"] = med([r["tx_records"] / r["sessions"] for r in st])
        v["datagrams_per_conn"] = med([r["tx_datagrams"] / r["sessions"] for r in st])
        v["rx_lost"] = sum(max(r.get("rx_lost", 0), 0) for r in st)
        v["received_all"] = all(r.get("rx_records", 0) >= r.get("tx_records", 0) for r in st)
    return v


def per_call(r, k):
    """Instructions a call of traced kind K in a redirect cost record."""
    n = r.get(k + "_calls", 0)
    return r.get(k + "_instr", 0) / n if n else None


def node_sum(r, k):
    """The sum of a redirect record's per-node figures K1, K2..."""
    return sum(v for n, v in r.items() if n.startswith(k) and n[len(k):].isdigit())


def redirect_summary(raw):
    """Owner redirect: instructions a redirected packet on each node (the
    traced runs), and the share of packets redirected (spread runs)."""
    rd = {"cost": {}, "share": []}
    for r in raw:
        if r.get("phase") != "redirect":
            continue
        if r.get("skipped"):
            rd["skipped"] = r["skipped"]
        elif r.get("metric") == "cost":
            c = {k: per_call(r, k) for k in ("send", "fwd", "fwd_inner", "decap", "own_new",
                                             "own_known", "hook_new", "hook_known")}
            for kind in ("new", "known"):
                own, hook = c["own_" + kind], c["hook_" + kind]
                if own is not None and hook is not None and c["decap"] is not None:
                    # receive outside nflb's processing, plus MAC check and decap
                    c["extra_" + kind] = own - hook + c["decap"]
                    c["work_" + kind] = hook - c["decap"]
            c["raw"] = dict(r)
            rd["cost"][r["load"]] = c
        elif r.get("metric") == "share":
            e = dict(r)
            tx = node_sum(r, "tx")
            e["redirected"] = tx
            e["share"] = tx / r["handled"] if r.get("handled") else None
            made = node_sum(r, "made")
            e["per_flow"] = tx / made if made else None
            if r.get("rate") and r.get("conc"):
                e["conn_ms"] = 1000 * r["conc"] / r["rate"]
            rd["share"].append(e)
    return rd


def redirect_text(rd):
    """The owner redirect tables (reStructuredText lines)."""
    out = []
    if rd.get("skipped"):
        return ["Owner redirect: skipped (" + rd["skipped"] + ")", ""]
    loads = [rd["cost"].get(k, {}) for k in ("tcp", "udp16", "udp1400")]
    if any(loads):
        def row(label, k):
            return [label] + [fmt(c.get(k)) for c in loads]
        rows = [row("node 1: redirect sent (nflb_redir_send: MAC, encapsulation, UDP/IP out)", "send"),
                row("node 1: a packet forwarded instead, for comparison (ip_forward)", "fwd"),
                row("owner: first packet (SYN, first datagram), udp_rcv in all", "own_new"),
                row("  redirect's part: UDP receive, MAC check, decapsulation", "extra_new"),
                row("  nflb (session created) and forwarding", "work_new"),
                row("owner: packet of a session it has (ACK, data, reply), in all", "own_known"),
                row("  redirect's part: UDP receive, MAC check, decapsulation", "extra_known"),
                row("  nflb and forwarding", "work_known")]
        out.append(rst_table(["owner redirect, guest instructions a redirected packet (traced)",
                              "TCP", "UDP 16 B", "UDP 1,400 B"], rows))
        out.append("")
    rows = []
    labels = {("tcp_c1", "all"): "TCP, one connection at a time",
              ("tcp_c32", "all"): "TCP, 32 connections at a time",
              ("udp_long", "first"): "UDP, 32 long flows: first 20 ms",
              ("udp_long", "after"): "UDP, the same flows: next 2 s"}
    for e in rd["share"]:
        nodes = e.get("nodes", 2)
        note = ""
        if e.get("conn_ms") is not None:
            note = f"{fmt(e.get('conns'))} connections of ~{e['conn_ms']:.0f} virtual ms"
            if e.get("fails"):
                note += f", {e['fails']} failed"
        elif e.get("window") == "after":
            note = f"{e.get('gap_secs', 0):.1f} virtual s after the first window"
        else:
            note = f"{fmt(e.get('sent'))} datagrams in {e.get('secs', 0) * 1000:.0f} virtual ms"
        if e.get("drops") or e.get("errors"):
            note += f"; {e['drops']} redirects dropped, {e['errors']} not sent"
        rows.append([labels.get((e["load"], e["window"]), e["load"] + " " + e["window"]),
                     str(nodes), f"{100 * (nodes - 1) / nodes:.0f}%", fmt(e.get("handled")), fmt(e["redirected"]), pct(e["share"]),
                     "n/a" if e["per_flow"] is None else f"{e['per_flow']:.2f}", note])
    if rows:
        out.append(rst_table(["flows spread over the nodes regardless of owner", "nodes",
                              "(N-1)/N", "packets in", "redirected", "share", "a flow", "note"],
                             rows))
        out.append("")
    return out


def text_report(s):
    out = []
    meta = s["meta"]
    out.append(f"nflb {meta.get('nflb_version', '?')}, kernel {meta.get('kernel', '?')}, "
               f"{s['rounds_counted']} interleaved rounds of "
               f"{meta.get('secs', '?')} virtual s per rate; 1 vCPU, QEMU -icount "
               f"(1 virtual s = 62.5M guest instructions)")
    if "tcp_conc" in meta:
        out.append(f"TCP connections: {meta['tcp_conc']} at a time, each closed by the client "
                   + (f"once {meta['tcp_linger']} more got their reply"
                      if meta.get("tcp_linger") else "as soon as it got its reply"))
    out.append("")
    head = ["metric", "method", "median", "spread", "ratio to plain", "ratio range",
            "instr/op", "above plain"]
    rows = []
    for metric, label, unit in METRICS:
        for m in METHODS + [SYNC, REF, OTHER]:
            d = s["rates"][metric][m]
            if d["median"] is None:
                continue
            med_v = d["median"] / 1e6 if metric == "bulk_bps" else d["median"]
            rows.append([
                label.replace("bit/s", "Mbit/s") if metric == "bulk_bps" else label,
                NAMES[m], fmt(med_v, 1 if metric == "bulk_bps" else 0), pct(d["spread"]),
                f"{d['ratio']:.3f}" if d["ratio"] is not None else "n/a",
                (f"{d['ratio_min']:.3f}-{d['ratio_max']:.3f}"
                 if d["ratio_min"] is not None else "n/a"),
                fmt(d.get("instr_per_op")) if unit else "",
                (fmt(d.get("instr_above_plain")) if unit and m != "plain" else ""),
            ])
    out.append(rst_table(head, rows))
    out.append("")
    head = ["metric", "IPVS overhead", "nftables overhead", "nflb overhead",
            "nflb / IPVS"]
    rows = []
    for metric, label, _ in METRICS:
        r = s["rates"][metric]
        v = r["nflb_overhead_vs_ipvs"]
        rows.append([label.replace("bit/s", "throughput"), pct(r["ipvs"]["overhead"]),
                     pct(r["nft"]["overhead"]), pct(r["nflb"]["overhead"]),
                     "n/a" if v is None else f"{v:.2f}"])
    out.append(rst_table(head, rows))
    out.append("")
    head = ["method", "slab cache", "object", "sessions", "objects", "bytes/session",
            "all slabs/session", "new flows/s", "instr/new flow", "above plain",
            "state setup"]
    rows = []
    for m in ("plain", "ipvs", "nft", "nflb"):
        d = s["memory"].get(m)
        if not d or "new_flow_rate" not in d:
            rows.append([NAMES[m], "(skipped)"] + [""] * 9)
            continue
        if m == "plain":
            rows.append([NAMES[m], "(none)", "", "0", "", "", "", fmt(d["new_flow_rate"]),
                         fmt(d.get("instr_per_new_flow")), "", ""])
            continue
        rows.append([NAMES[m], d["cache"], str(d["slab_size"]), fmt(d["sessions"]),
                     fmt(d["objects"]), fmt(d.get("bytes_per_session")),
                     fmt(d.get("slab_total_minus_plain_per_session")),
                     fmt(d["new_flow_rate"]), fmt(d.get("instr_per_new_flow")),
                     fmt(d.get("instr_per_new_flow_above_plain")),
                     fmt(d.get("instr_session_setup"))])
    out.append(rst_table(head, rows))
    out.append("")
    head = ["sessions", "UDP packets/s", "spread", "ratio", "instr/packet",
            "CPU left by GC", "instr/packet without GC", "hash buckets"]
    rows = []
    for t, e in s["table"].items():
        if e.get("median") is None:
            rows.append([fmt(int(t)), "(skipped)", "", "", "", "", "", ""])
            continue
        rows.append([fmt(int(t)), fmt(e["mean"]), pct(e["spread"]),
                     f"{e.get('ratio_to_smallest', 1):.3f}", fmt(e.get("instr_per_packet")),
                     pct(e.get("cpu_left")), fmt(e.get("instr_per_packet_fg")),
                     bucket_str(e.get("buckets"))])
    out.append(rst_table(head, rows))
    out.append("")
    head = ["nflb control plane", "virtual s", "busy", "user", "system",
            "guest instructions", "per line", "TCG wall s"]
    rows = []
    labels = [("batch", "lbctl -batch: 1,000 VS, 10,000 members"),
              ("flush-after-batch", "lbctl flush of it all"),
              ("force", "same batch with -force")]
    labels += [(f"quarter{q}", f"quarter {q} of the batch (250 VS)") for q in range(1, 5)]
    labels += [("kind-pools", "1,000 pool add"), ("kind-members", "10,000 member add"),
               ("kind-vs", "1,000 vs add"), ("null", "12,000 global show (no change)")]
    for mode, label in labels:
        c = s["control"].get(mode)
        if not c:
            continue
        rows.append([label, f"{c['guest_secs']:.2f}", f"{c.get('busy_secs', 0):.2f}",
                     f"{c.get('user_secs', 0):.2f}", f"{c.get('system_secs', 0):.2f}",
                     f"{c['instructions'] / 1e6:,.0f}M",
                     fmt(c["instructions"] / c["lines"]) if c.get("lines") else "",
                     f"{c['host_secs']:.1f}" if "host_secs" in c else ""])
    if rows:
        out.append(rst_table(head, rows))
        out.append("")
    tp = s.get("nflb_tcp_packets")
    if tp and "estimate_from_udp" in tp:
        out.append(f"nflb per TCP connection: {tp['in_per_conn']:.1f} packets client -> member, "
                   f"{tp['out_per_conn']:.1f} member -> client; {fmt(tp['measured'])} "
                   f"instructions above plain routing, of which state setup, forward and "
                   f"reply costs measured with UDP explain {fmt(tp['estimate_from_udp'])}.")
        out.append("")
    out.extend(sync_text(s.get("sync", {})))
    out.extend(redirect_text(s.get("redirect", {})))
    head = ["target", "value", "met"]
    rows = []
    for t in s["targets"]:
        v = t["value"]
        if v is None:
            vs = "n/a"
        elif "bytes" in t["target"]:
            vs = f"{v:.0f} B"
        elif "members" in t["target"]:
            vs = f"{v:.2f} s"
        elif "sync" in t["target"]:
            vs = f"{100 * v:.0f}%"
        else:
            vs = f"{v:.2f}"
        rows.append([t["target"], vs, {True: "yes", False: "NO", None: "n/a"}[t["met"]]])
    out.append(rst_table(head, rows))
    out.append("")
    out.append(f"Largest idle share of the CPU during a rate measurement: {pct(s['max_idle'], 2)} "
               "(0 means every virtual second counted was spent working).")
    if "wall_secs" in s:
        out.append("")
        out.append(f"make bench took {s['wall_secs']} s (build, VM boot, benchmark, report).")
    return "\n".join(out) + "\n"


def sync_text(sy):
    """The session sync tables (reStructuredText lines)."""
    out = []
    if sy.get("added") is None and not sy.get("bulk"):
        return out
    rows = []
    if sy.get("added") is not None:
        rows.append(["nflb, TCP connection, above plain routing", fmt(sy.get("nflb_above_plain")), ""])
        rows.append(["nflb + sync, the same", fmt(sy.get("sync_above_plain")), ""])
        rows.append(["added by sync, both nodes (median of the rounds' differences)",
                     fmt(sy["added"]), pct(sy.get("added_ratio"), 0) + " of nflb's"])
    if sy.get("rx_per_conn") is not None:
        rows.append(["  receiving node (traced: udp_rcv + receive worker)", fmt(sy["rx_per_conn"]), ""])
        rows.append(["  creating node (added - receiving node)", fmt(sy.get("creating")),
                     pct(sy.get("creating_ratio"), 0) + " of nflb's"])
        rows.append(["  creating node, traced (send worker + tick)", fmt(sy["tx_traced_per_conn"]),
                     "cross-check"])
    vm = sy.get("vm")
    if vm:
        rows.append(["creating node in a VM of its own, node 2 in another:", "", ""])
        rows.append(["  nflb, TCP connection, above plain routing", fmt(vm["nflb_above_plain"]), ""])
        main_ratio = (vm["added"] / sy["nflb_above_plain"] if sy.get("nflb_above_plain")
                      else None)
        rows.append(["  added by sync (median of the rounds' differences)", fmt(vm["added"]),
                     pct(vm["added_ratio"], 0) + f" of that nflb's, {pct(main_ratio, 0)} of"
                     f" the main run's ({vm['rounds']} rounds)"])
        rows.append(["  the rounds' differences", "",
                     ", ".join(fmt(x) for x in vm["added_values"])])
        if vm.get("records_per_conn") is not None:
            rows.append(["  records / datagrams a connection",
                         f"{vm['records_per_conn']:.2f} / {vm['datagrams_per_conn']:.2f}",
                         "node 2 received all" if vm.get("received_all") else "node 2 MISSED some"])
    if sy.get("records_per_conn") is not None:
        rows.append(["records a connection", f"{sy['records_per_conn']:.2f}", ""])
        rows.append(["datagrams a connection", f"{sy['datagrams_per_conn']:.2f}",
                     f"{sy.get('records_per_datagram_live', 0):.2f} records each (traced run)"])
        rows.append(["bytes on the sync link a connection", fmt(sy["bytes_per_conn"]), ""])
    if sy.get("rx_per_record_live") is not None:
        rows.append(["receiving node a record (live sync)", fmt(sy["rx_per_record_live"]), ""])
    if sy.get("lag_us"):
        lg = sy["lag_us"]
        rows.append(["lag, idle: create on node 1 to install on node 2 (20 flows)",
                     f"{lg['median'] / 1000:.3f} ms", f"{lg['min'] / 1000:.3f}-{lg['max'] / 1000:.3f} ms"
                     f" ({lg['median'] * 62.5:,.0f} instructions)"])
    if rows:
        out.append(rst_table(["session sync (guest instructions)", "value", "note"], rows))
        out.append("")
    rows = []
    for size in ("small", "big"):
        b = sy.get("bulk", {}).get(size)
        if not b:
            continue
        if b.get("skipped"):
            rows.append([size, "(skipped)"] + [""] * 9)
            continue

        def t(k):
            return "n/a" if b.get(k, -1) < 0 else f"{b[k]:.1f}"
        rows.append([fmt(b["sessions"]), "yes" if b["ready"] else "NO",
                     f"{b['guest_secs']:.1f}" + (f" (+{b['settle_secs']:.1f})" if "settle_secs" in b
                                                 else ""),
                     f"{t('t90')} / {t('t100')}",
                     f"{b['busy_secs']:.1f}", fmt(b.get("lb2_sessions")),
                     f"{b['link_bytes'] / 1e6:.1f} MB ({fmt(b.get('bytes_per_session'))}/session)",
                     f"{fmt(b['tx_records'])} / {fmt(b['rx_records'])}",
                     f"{fmt(b.get('rx_queue_full'))} / {fmt(b.get('rx_lost'))}",
                     fmt(b.get("tx_per_record")), fmt(b.get("rx_per_record"))])
    if rows:
        out.append(rst_table(["bulk resync of", "ready", "virtual s (+ settling)", "90% / all there (s)",
                              "busy s", "on node 2", "sync link bytes",
                              "records sent / installed", "rx queue full / rx lost",
                              "instr/record sent", "instr/record installed"], rows))
        out.append("")
    return out


def chart(s, outdir):
    if not shutil.which("gnuplot"):
        print("report: gnuplot not found, no chart", file=sys.stderr)
        return
    tmp = tempfile.mkdtemp(prefix="nflb-bench-")
    dat = os.path.join(tmp, "ratios.dat")
    with open(dat, "w") as f:
        f.write("# metric plain ipvs nft nflb (ratio to plain routing)\n")
        for metric, label, _ in METRICS:
            r = s["rates"][metric]
            vals = [r[m]["ratio"] if r[m]["ratio"] is not None else 0 for m in METHODS]
            short = {"tcp_cps": "TCP conn/s", "udp_pps": "UDP pkt/s",
                     "udp_reply_pps": "UDP reply pkt/s", "bulk_bps": "bulk TCP"}[metric]
            f.write('"%s" %s\n' % (short, " ".join(f"{v:.4f}" for v in vals)))
    tdat = os.path.join(tmp, "table.dat")
    with open(tdat, "w") as f:
        f.write("# sessions udp_pps ratio cpu_left fg_ratio\n")
        fg0 = None
        for t, e in s["table"].items():
            if e.get("mean"):
                fg = e.get("instr_per_packet_fg")
                fg0 = fg0 or fg
                f.write(f"{t} {e['mean']:.1f} {e.get('ratio_to_smallest', 1):.4f} "
                        f"{e.get('cpu_left', 1):.4f} {fg0 / fg if fg else 1:.4f}\n")
    sdat = os.path.join(tmp, "sync.dat")
    sy = s.get("sync", {})
    have_sync = sy.get("creating") is not None
    goal = 0.25 * sy["nflb_above_plain"] / 1000 if have_sync and sy.get("nflb_above_plain") else 0
    with open(sdat, "w") as f:
        f.write("# label thousand-instructions a TCP connection above plain routing\n")
        if have_sync:
            f.write(f'"nflb" {sy["nflb_above_plain"] / 1000:.2f}\n')
            f.write(f'"sync: creating" {sy["creating"] / 1000:.2f}\n')
            f.write(f'"sync: receiving" {sy["rx_per_conn"] / 1000:.2f}\n')
    rdat = os.path.join(tmp, "redirect.dat")
    shares = [e for e in s.get("redirect", {}).get("share", []) if e.get("share") is not None]
    have_redir = bool(shares)
    with open(rdat, "w") as f:
        f.write("# load percent of the packets redirected\n")
        short = {("tcp_c1", "all"): "TCP x1", ("tcp_c32", "all"): "TCP x32",
                 ("udp_long", "first"): "UDP 20 ms", ("udp_long", "after"): "UDP later"}
        for e in shares:
            label = short.get((e["load"], e["window"]), e["load"]) + f', N={e.get("nodes", 2)}'
            f.write(f'"{label}" {100 * e["share"]:.2f}\n')
    panels = 2 + have_sync + have_redir
    png = os.path.join(outdir, "latest.png")
    script = f"""
set output '{png}'
set multiplot layout 1,{panels} title "nflb benchmark (1 vCPU, QEMU -icount)"
set title "Rate relative to plain routing (higher is better; y from 0.8)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0.8:1.04]
set ytics 0.02
set grid ytics
set key top center horizontal outside
plot '{dat}' using 2:xtic(1) title 'plain routing', '' using 3 title 'IPVS', \\
     '' using 4 title 'nftables DNAT', '' using 5 title 'nflb'
set title "nflb UDP rate against live sessions"
set style data linespoints
set logscale x 10
set xrange [500:2000000]
set xlabel "sessions in the table"
set ylabel "relative to 1,000 sessions"
set format x "10^{{%L}}"
set yrange [0:1.1]
set ytics 0.1
set key bottom left inside vertical
plot '{tdat}' using 1:3 title 'packet rate' lw 2 pt 7, \\
     '' using 1:4 title 'CPU left by background work (GC)' lw 2 pt 5 dt 2, \\
     '' using 1:5 title 'rate per CPU left (per-packet cost)' lw 2 pt 9 dt 3, \\
     0.9 title 'target: 90%' lt 0 lw 1
"""
    if have_sync:
        script += f"""
set title "Session sync: guest instructions a TCP connection (thousands)"
unset logscale x
unset xlabel
unset format x
set xrange [*:*]
set format x "%g"
set ylabel "thousand instructions above plain routing"
set yrange [0:*]
set ytics auto
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.6
set key top left inside
plot '{sdat}' using 2:xtic(1) notitle lc rgb '#4682b4', \\
     {goal:.3f} title 'goal: sync <= 25% of nflb (creating node)' lt 0 lw 2
"""
    if have_redir:
        script += f"""
set title "Owner redirect: packets redirected (%); x1, x32: connections at a time"
unset logscale x
unset xlabel
unset format x
set xrange [*:*]
set format x "%g"
set ylabel "% of the packets reaching a node"
set yrange [0:*]
set ytics auto
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.6
set key off
set xtics rotate by -30
plot '{rdat}' using 2:xtic(1) notitle lc rgb '#b8860b'
unset xtics
"""
    script += """
unset multiplot
"""
    try:
        w = 600 * panels
        for term in (f"pngcairo size {w},500 font 'sans,10'", f"png size {w},500"):
            r = subprocess.run(["gnuplot"], input=f"set terminal {term}\n" + script,
                               text=True, capture_output=True)
            if r.returncode == 0 and os.path.exists(png) and os.path.getsize(png) > 0:
                return
        print("report: gnuplot failed: " + r.stderr.strip(), file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    args = sys.argv[1:]
    wall = None
    if "--wall" in args:
        i = args.index("--wall")
        wall = int(args[i + 1])
        del args[i:i + 2]
    two = None
    if "--two" in args:
        i = args.index("--two")
        two = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    raw_path, outdir = args
    with open(raw_path) as f:
        raw = [json.loads(line) for line in f if line.strip()]
    s = summarize(raw)
    if two:
        with open(two) as f:
            raw2 = [json.loads(line) for line in f if line.strip()]
        s.setdefault("sync", {})["vm"] = sync_vm_summary(raw2)
        sync_targets(s)
        raw = raw + [dict(r, vm="two") for r in raw2]
    if wall is not None:
        s["wall_secs"] = wall
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "latest.json"), "w") as f:
        json.dump({"summary": s, "raw": raw}, f, indent=1)
        f.write("\n")
    txt = text_report(s)
    with open(os.path.join(outdir, "latest.txt"), "w") as f:
        f.write(txt)
    chart(s, outdir)
    sys.stdout.write(txt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
