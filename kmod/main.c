// SPDX-License-Identifier: GPL-2.0
/*
 * nflb: an L4 load balancer and session device in netfilter hooks.
 *
 * Module and per-netns setup.  Every network namespace gets its own session
 * table, configuration, counters and hooks; nothing is shared between
 * namespaces but the slab caches and the genetlink family.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>
#include "config.h"
#include "eject.h"
#include "health.h"
#include "main.h"
#include "netlink.h"
#include "persist.h"
#include "ops.h"
#include "service.h"

unsigned int nflb_net_id __read_mostly;

static int __net_init nflb_net_init(struct net *net)
{
	struct nflb_net *ln = nflb_net(net);
	int i, err;

	ln->net = net;
	ln->cfg_gen = 1;
	/* A SYN flood must not turn the box into a RST cannon. */
	ratelimit_state_init(&ln->rst_ratelimit, HZ, NFLB_RST_NO_MEMBER_RATE);
	ratelimit_set_flags(&ln->rst_ratelimit, RATELIMIT_MSG_ON_RELEASE);
	mutex_init(&ln->cfg_mutex);
	INIT_LIST_HEAD(&ln->vs_list);
	INIT_LIST_HEAD(&ln->pool_list);
	for (i = 0; i < ARRAY_SIZE(ln->vs_hash); i++) {
		INIT_HLIST_HEAD(&ln->vs_hash[i]);
		INIT_HLIST_HEAD(&ln->vs_names[i]);
		INIT_HLIST_HEAD(&ln->pool_names[i]);
	}
	nflb_config_defaults(ln);
	nflb_eject_init(ln);
	nflb_health_net_init(ln);

	ln->stats = nflb_stats_alloc(&ln->stats_blk);
	if (!ln->stats)
		return -ENOMEM;
	err = nflb_table_init(ln);
	if (err)
		goto free_stats;
	err = nflb_persist_init(ln);
	if (err)
		goto destroy_table;
	return 0;

destroy_table:
	nflb_table_destroy(ln);
free_stats:
	nflb_stats_free(ln->stats, ln->stats_blk);
	return err;
}

/*
 * The services flush removes every session and, with the last virtual
 * server, the hooks (nf_unregister_net_hooks() waits for packets in
 * flight).  The sessions' RCU callbacks give their slot back in @ln's
 * table (tbl.held): nflb_net_exit_batch() waits for them before the
 * namespaces' nflb_net is freed.  Callbacks queued by those (the last
 * reference of a member or virtual server) touch only what they free;
 * module exit waits for them before the slab caches go.
 */
static void __net_exit nflb_net_exit(struct net *net)
{
	struct nflb_net *ln = nflb_net(net);

	nflb_health_net_exit(ln);	/* the slow start worker */
	mutex_lock(&ln->cfg_mutex);
	nflb_op_sync_del(ln);	/* its socket holds no reference on @net */
	nflb_op_flush(ln);
	mutex_unlock(&ln->cfg_mutex);
	nflb_table_destroy(ln);
	nflb_eject_exit(ln);	/* the last sessions may have kicked it */
	nflb_persist_destroy(ln);
	nflb_stats_free(ln->stats, ln->stats_blk);
}

/* Once per batch of namespaces, after every ->exit and before any free. */
static void __net_exit nflb_net_exit_batch(struct list_head *net_list)
{
	rcu_barrier();
}

static struct pernet_operations nflb_net_ops = {
	.init = nflb_net_init,
	.exit = nflb_net_exit,
	.exit_batch = nflb_net_exit_batch,
	.id = &nflb_net_id,
	.size = sizeof(struct nflb_net),
};

static int __init nflb_init(void)
{
	int err;

	err = nflb_service_init();
	if (err)
		return err;
	err = nflb_session_init();
	if (err)
		goto service_exit;
	err = register_pernet_subsys(&nflb_net_ops);
	if (err)
		goto session_exit;
	err = nflb_genl_init();
	if (err)
		goto pernet_exit;
	pr_info("nflb %s loaded: session %zu bytes (IPv4), %zu (IPv6)\n",
		NFLB_VERSION, nflb_session_size(AF_INET),
		nflb_session_size(AF_INET6));
	return 0;

pernet_exit:
	unregister_pernet_subsys(&nflb_net_ops);
session_exit:
	nflb_stats_exit();	/* namespaces set up and torn down again */
	nflb_session_exit();
service_exit:
	nflb_service_exit();
	return err;
}

static void __exit nflb_exit(void)
{
	nflb_genl_exit();
	unregister_pernet_subsys(&nflb_net_ops);
	/*
	 * Three times: a session's RCU callback may drop the last reference
	 * of a persistence entry, whose own callback may drop a member's last
	 * one, each queueing the next free with call_rcu, which a barrier
	 * does not wait for when queued after it.
	 */
	rcu_barrier();
	rcu_barrier();
	rcu_barrier();
	nflb_stats_exit();
	nflb_session_exit();
	nflb_service_exit();
}

module_init(nflb_init);
module_exit(nflb_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("nflb developers");
MODULE_DESCRIPTION("L4 load balancer and session device (netfilter hooks)");
MODULE_VERSION(NFLB_VERSION);
MODULE_ALIAS_GENL_FAMILY(NFLB_GENL_NAME);
