/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFLB_SYNCREC_H
#define _NFLB_SYNCREC_H

#include <linux/types.h>

struct nflb_net;
struct nflb_session;
struct nflb_syncq;

/*
 * Session records of sync datagrams, wire format version 1
 * (Documentation/sync.rst).  Network byte order; every record starts with
 * this header, its length a multiple of 4 that includes the header.
 * Family on the wire is 4 or 6 (not the host's AF_* values).
 */
struct nflb_syncrec_hdr {
	u8 type;			/* enum nflb_syncrec_type */
	u8 family;			/* 4 or 6 */
	__be16 len;
} __packed;

enum nflb_syncrec_type {
	NFLB_SYNCREC_SESSION = 1,	/* create or update */
	NFLB_SYNCREC_DELETE = 2,
	NFLB_SYNCREC_CLOSE = 3,		/* closed, after a session record */
};

#define NFLB_SYNCREC_F_SEEN_REPLY	0x01

/* Followed by the client, VIP and member addresses (4 or 16 bytes each). */
struct nflb_syncrec_session {
	struct nflb_syncrec_hdr h;
	u8 owner;			/* creating node id */
	u8 proto;
	u8 state;			/* enum nflb_state */
	u8 flags;			/* NFLB_SYNCREC_F_* */
	__be32 timeout_ms;		/* left on the sender */
	__be32 seq_next[2];		/* per direction (orig, reply) */
	__be32 maxwin[2];
	u8 wscale[2];
	__be16 syn_len;
	__be16 client_port;
	__be16 vip_port;
	__be16 member_port;
	__be16 pad;
	u8 addr[];
} __packed;

/* Followed by the client and VIP addresses. */
struct nflb_syncrec_delete {
	struct nflb_syncrec_hdr h;
	u8 owner;
	u8 proto;
	__be16 pad;
	__be16 client_port;
	__be16 vip_port;
	u8 addr[];
} __packed;

/*
 * A session the peers have a record of closed (TIME_WAIT or CLOSE): its
 * state and timer, by the orig tuple.  Followed by the client and VIP
 * addresses.  Half a session record: a short connection's close is half
 * its sync traffic otherwise.
 */
struct nflb_syncrec_close {
	struct nflb_syncrec_hdr h;
	u8 owner;
	u8 proto;
	u8 state;			/* enum nflb_state: a closed one */
	u8 pad;
	__be32 timeout_ms;		/* left on the sender */
	__be16 client_port;
	__be16 vip_port;
	u8 addr[];
} __packed;

/* Largest record: an IPv6 session. */
#define NFLB_SYNCREC_MAX	(sizeof(struct nflb_syncrec_session) + 3 * 16)

/* What applying one record did, for the receiver's counters. */
enum nflb_syncrec_result {
	NFLB_SYNCREC_APPLIED,
	NFLB_SYNCREC_IGNORED,		/* stale or not the sender's to delete */
	NFLB_SYNCREC_MALFORMED,
	NFLB_SYNCREC_UNKNOWN_VS,
	NFLB_SYNCREC_UNKNOWN_MEMBER,
	NFLB_SYNCREC_INSTALL_FAILED,
};

size_t nflb_syncrec_session_len(u8 family);
int nflb_syncrec_next(struct nflb_net *ln, struct nflb_syncq *q,
		      unsigned int cpu, u8 local_id, void *buf, size_t room,
		      unsigned long *queued);
int nflb_syncrec_session(struct nflb_session *s, u8 local_id,
			 void *buf, size_t room);
int nflb_syncrec_len(const void *buf, size_t room);
enum nflb_syncrec_result nflb_syncrec_apply(struct nflb_net *ln,
					    const void *rec, u8 sender_id);

#endif /* _NFLB_SYNCREC_H */
