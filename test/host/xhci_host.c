/*
 * Host tests of the xHCI register layer (hal/usb/xhci.c) over a register
 * block in plain memory: the capability walk, the BIOS handoff, ring and
 * event-ring cycle bits across the wrap, and the PORTSC write rules.
 * QEMU's controllers have no USB legacy-support capability, so the boots
 * never run the handoff's register writes; and a ring's wrap needs more
 * traffic than a boot test makes.  The fake does not model write-1-to-clear
 * bits: the tests check what was written.
 */
#include <stdlib.h>
#include <string.h>

#include "hal/usb/xhci.h"
#include "test/ktest/ktest.h"

KTEST_SUITE_FLAGS(xhci_host, KTEST_HOST_ONLY);

/* Where the fake puts each block (offsets from the capability base). */
#define CAPLEN 0x40
#define XECP 0x800
#define DB 0x2000
#define RT 0x3000
#define MMIO 0x4000
#define OP(off) (CAPLEN + (off))

#define LEGACY_BIOS_OWNED (1u << 16)
#define LEGACY_OS_OWNED (1u << 24)

static uint32_t *regs;		/* MMIO bytes, exactly: ASan sees any overrun */

static uint32_t *reg(unsigned off)
{
	return &regs[off / 4];
}

/* A controller with 8 ports (1-4 USB 3, 5-8 USB 2), 32 slots, 64-byte
 * contexts, port power switching, 33 scratchpads, and a legacy-support
 * capability in the state @legacy, or none if @legacy is ~0; probed. */
static enum xhci_error fake_controller(struct xhci *x, uint32_t legacy)
{
	free(regs);
	regs = calloc(1, MMIO);
	*reg(0x00) = 0x01000000u | CAPLEN;		/* HCIVERSION 1.00 */
	*reg(0x04) = 32 | 1u << 8 | 8u << 24;		/* slots, interrupters, ports */
	*reg(0x08) = 1u << 21 | 1u << 27;		/* scratchpads: hi 1, lo 1 */
	*reg(0x10) = (XECP / 4) << 16 | 1u << 3 | 1u << 2;	/* xECP, PPC, CSZ */
	*reg(0x14) = DB;
	*reg(0x18) = RT;
	*reg(OP(0x08)) = 1;				/* PAGESIZE: 4 KiB */
	unsigned at = XECP;
	if (legacy != ~0u) {
		*reg(at) = legacy | 4u << 8 | 1;	/* next 4 dwords on */
		at += 16;
	}
	*reg(at) = 3u << 24 | 8u << 8 | 2;		/* USB 3.0, next 8 dwords on */
	*reg(at + 8) = 1 | 4u << 8;			/* ports 1-4 */
	*reg(at + 0x20) = 2u << 24 | 2;		/* USB 2.0, last */
	*reg(at + 0x28) = 5 | 4u << 8;			/* ports 5-8 */
	return xhci_probe(x, regs, MMIO);
}

KTEST(xhci_host, probe_reads_sizes_and_the_capability_list)
{
	struct xhci x;

	ASSERT_EQ(fake_controller(&x, 0), XHCI_OK);
	EXPECT_EQ(x.version, 0x100);
	EXPECT_EQ(x.max_slots, 32);
	EXPECT_EQ(x.max_ports, 8);
	EXPECT_EQ(x.scratchpads, 33);			/* hi << 5 | lo */
	EXPECT_EQ(x.ctx_size, 64);
	EXPECT_TRUE(x.port_power_control);
	EXPECT_TRUE(x.page_4k);
	EXPECT_EQ(x.legacy, XECP);
	EXPECT_TRUE((uint8_t *)x.op == (uint8_t *)regs + CAPLEN);
	EXPECT_TRUE((uint8_t *)x.rt == (uint8_t *)regs + RT);
	EXPECT_TRUE((uint8_t *)x.db == (uint8_t *)regs + DB);
	for (unsigned p = 1; p <= 8; p++)
		EXPECT_EQ(x.port_major[p], p <= 4 ? 3 : 2);
	EXPECT_EQ(x.port_major[9], 0);
}

KTEST(xhci_host, nonsense_registers_are_refused)
{
	struct xhci x;

	ASSERT_EQ(fake_controller(&x, ~0u), XHCI_OK);
	memset(regs, 0xff, MMIO);			/* gone from the bus */
	EXPECT_EQ(xhci_probe(&x, regs, MMIO), XHCI_BAD_REGISTERS);
	fake_controller(&x, ~0u);
	*reg(0x00) = 0x01000000u | 0x10;		/* CAPLENGTH too small */
	EXPECT_EQ(xhci_probe(&x, regs, MMIO), XHCI_BAD_REGISTERS);
	fake_controller(&x, ~0u);
	*reg(0x18) = MMIO - 0x20;			/* interrupter 0 past the end */
	EXPECT_EQ(xhci_probe(&x, regs, MMIO), XHCI_BAD_REGISTERS);
	fake_controller(&x, ~0u);
	*reg(0x04) &= 0x00ffffff;			/* no ports */
	EXPECT_EQ(xhci_probe(&x, regs, MMIO), XHCI_NO_PORTS);
	EXPECT_EQ(xhci_probe(&x, regs, 0x80), XHCI_BAD_REGISTERS);	/* window too small */
}

KTEST(xhci_host, capability_list_stays_in_the_window)
{
	struct xhci x;
	unsigned off;

	/* A list of vendor capabilities whose last next pointer leads to a
	 * legacy-support header 8 bytes from the end of the window, too close
	 * for its 12 bytes: not taken (and nothing read past the end: ASan). */
	fake_controller(&x, ~0u);
	for (off = XECP; MMIO - 8 - off > 0x3fc; off += 0x3fc)
		*reg(off) = 0xffu << 8 | 0xc0;		/* next: 255 dwords on */
	*reg(off) = (MMIO - 8 - off) / 4 << 8 | 0xc0;	/* ... to MMIO - 8 */
	*reg(MMIO - 8) = 1;
	EXPECT_EQ(xhci_probe(&x, regs, MMIO), XHCI_OK);
	EXPECT_EQ(x.legacy, 0);
	/* A protocol capability claiming ports beyond max_ports. */
	fake_controller(&x, ~0u);
	*reg(XECP) = 3u << 24 | 2;
	*reg(XECP + 8) = 7 | 200u << 8;
	EXPECT_EQ(xhci_probe(&x, regs, MMIO), XHCI_OK);
	EXPECT_EQ(x.port_major[6], 0);
	EXPECT_EQ(x.port_major[7], 3);
	EXPECT_EQ(x.port_major[8], 3);
	EXPECT_EQ(x.port_major[9], 0);
}

KTEST(xhci_host, handoff_sets_os_owned_then_disables_smis)
{
	struct xhci x;

	ASSERT_EQ(fake_controller(&x, LEGACY_BIOS_OWNED), XHCI_OK);
	*reg(XECP + 4) = 0x0000e011;		/* SMI enables 0, 4, 13, 14, 15 */
	EXPECT_TRUE(xhci_bios_owned(&x));
	xhci_request_ownership(&x);
	EXPECT_EQ(*reg(XECP) & (LEGACY_BIOS_OWNED | LEGACY_OS_OWNED),
		  LEGACY_BIOS_OWNED | LEGACY_OS_OWNED);	/* the BIOS clears its own */
	*reg(XECP) &= ~LEGACY_BIOS_OWNED;		/* ... as it does here */
	EXPECT_FALSE(xhci_bios_owned(&x));
	xhci_disable_smis(&x);
	EXPECT_EQ(*reg(XECP + 4) & 0xe011, 0);		/* enables off */
	/* The status bits 29-31 are written 1 (that clears them on a real
	 * controller; in this memory they stay, so the write shows). */
	EXPECT_EQ(*reg(XECP + 4) & 0xe0000000, 0xe0000000);
	EXPECT_EQ(*reg(XECP) & 0xffff, 0x0401);	/* id and next untouched */
}

KTEST(xhci_host, a_firmware_that_keeps_it_is_overruled)
{
	struct xhci x;

	ASSERT_EQ(fake_controller(&x, LEGACY_BIOS_OWNED), XHCI_OK);
	xhci_request_ownership(&x);
	xhci_force_ownership(&x);
	EXPECT_EQ(*reg(XECP) & (LEGACY_BIOS_OWNED | LEGACY_OS_OWNED), LEGACY_OS_OWNED);
	EXPECT_FALSE(xhci_bios_owned(&x));
}

KTEST(xhci_host, without_legacy_support_handoff_writes_nothing)
{
	struct xhci x;
	uint32_t *before = malloc(MMIO);

	ASSERT_EQ(fake_controller(&x, ~0u), XHCI_OK);
	EXPECT_EQ(x.legacy, 0);
	memcpy(before, regs, MMIO);
	EXPECT_FALSE(xhci_bios_owned(&x));
	xhci_request_ownership(&x);
	xhci_force_ownership(&x);
	xhci_disable_smis(&x);
	EXPECT_EQ(memcmp(before, regs, MMIO), 0);
	free(before);
}

#define RING 4
#define RING_PHYS 0x100000ull

static unsigned cycle_of(const struct xhci_ring *r, unsigned i)
{
	return r->trbs[i].control & TRB_CYCLE;
}

KTEST(xhci_host, ring_wraps_through_its_link_and_toggles_the_cycle)
{
	struct xhci_trb trbs[RING] = { 0 };
	struct xhci_ring r;

	xhci_ring_init(&r, trbs, RING_PHYS, RING);
	EXPECT_EQ(xhci_ring_push(&r, 1, 0, TRB_TYPE(TRB_NOOP_CMD)), RING_PHYS);
	EXPECT_EQ(xhci_ring_push(&r, 2, 0, TRB_TYPE(TRB_NOOP_CMD)), RING_PHYS + 16);
	EXPECT_EQ(xhci_ring_room(&r, 2), 1);
	EXPECT_EQ(xhci_ring_push(&r, 3, 0, TRB_TYPE(TRB_NOOP_CMD) | TRB_CHAIN), RING_PHYS + 32);
	/* The link: back to the start, toggle cycle, the chain bit of the TRB
	 * before it, and the first lap's cycle. */
	EXPECT_EQ(trbs[3].param, RING_PHYS);
	EXPECT_EQ(trb_type(&trbs[3]), TRB_LINK);
	EXPECT_TRUE(trbs[3].control & TRB_TOGGLE_CYCLE);
	EXPECT_TRUE(trbs[3].control & TRB_CHAIN);
	EXPECT_EQ(trbs[3].control & TRB_CYCLE, 1);
	for (unsigned i = 0; i < 3; i++)
		EXPECT_EQ(cycle_of(&r, i), 1);
	EXPECT_EQ(r.cycle, 0);
	EXPECT_EQ(xhci_ring_next(&r), RING_PHYS | 0);
	/* The second lap writes cycle 0: TRBs of the first lap that the
	 * controller has not reached again are not taken for new ones. */
	EXPECT_EQ(xhci_ring_push(&r, 4, 0, TRB_TYPE(TRB_NOOP_CMD)), RING_PHYS);
	EXPECT_EQ(cycle_of(&r, 0), 0);
	EXPECT_EQ(cycle_of(&r, 1), 1);
	EXPECT_EQ(trbs[0].param, 4);
}

KTEST(xhci_host, a_td_is_handed_over_whole_even_across_the_wrap)
{
	struct xhci_trb trbs[RING] = { 0 };
	struct xhci_ring r;
	struct xhci_trb td[3] = {
		{ 0xaa, 8, TRB_TYPE(TRB_SETUP) | TRB_IDT | TRB_CHAIN },
		{ 0xbb, 18, TRB_TYPE(TRB_DATA) | TRB_DIR_IN | TRB_CHAIN },
		{ 0, 0, TRB_TYPE(TRB_STATUS) | TRB_IOC },
	};
	uint64_t at[3];

	xhci_ring_init(&r, trbs, RING_PHYS, RING);
	xhci_ring_push(&r, 0, 0, TRB_TYPE(TRB_NOOP_CMD));
	xhci_ring_push(&r, 0, 0, TRB_TYPE(TRB_NOOP_CMD));	/* next: index 2 of 3 */
	xhci_ring_push_td(&r, td, 3, at);
	EXPECT_EQ(at[0], RING_PHYS + 32);
	EXPECT_EQ(at[1], RING_PHYS);			/* past the link */
	EXPECT_EQ(at[2], RING_PHYS + 16);
	/* The setup TRB on the first lap, the rest on the second, all the
	 * controller's; the link carries the chain so the TD spans it. */
	EXPECT_EQ(cycle_of(&r, 2), 1);
	EXPECT_TRUE(trbs[3].control & TRB_CHAIN);
	EXPECT_EQ(trbs[3].control & TRB_CYCLE, 1);
	EXPECT_EQ(cycle_of(&r, 0), 0);
	EXPECT_EQ(cycle_of(&r, 1), 0);
	EXPECT_EQ(r.cycle, 0);
	EXPECT_EQ(trb_type(&trbs[0]), TRB_DATA);
	EXPECT_EQ(trbs[1].control & TRB_IOC, TRB_IOC);
}

#define EVENTS 4
#define EV_PHYS 0x200000ull
#define ERST_PHYS 0x300000ull

static void controller_writes(struct xhci_trb *ev, unsigned i, uint32_t cycle, uint64_t tag)
{
	ev[i] = (struct xhci_trb){ tag, (uint32_t)CC_SUCCESS << 24,
				   TRB_TYPE(TRB_COMMAND_COMPLETION) | cycle };
}

KTEST(xhci_host, setup_programs_the_rings)
{
	struct xhci x;
	struct xhci_trb cmd_trbs[RING] = { 0 }, ev[EVENTS] = { 0 };
	uint64_t erst[2] = { 0 };
	struct xhci_ring cmd;

	ASSERT_EQ(fake_controller(&x, ~0u), XHCI_OK);
	xhci_ring_init(&cmd, cmd_trbs, RING_PHYS, RING);
	xhci_setup(&x, 0x400000, &cmd, ev, EV_PHYS, EVENTS, erst, ERST_PHYS);
	EXPECT_EQ(*reg(OP(0x38)) & 0xff, 32);		/* CONFIG: every slot */
	EXPECT_EQ(*reg(OP(0x30)), 0x400000);		/* DCBAAP */
	EXPECT_EQ(*reg(OP(0x18)), RING_PHYS | 1);	/* CRCR with the ring's cycle */
	EXPECT_EQ(erst[0], EV_PHYS);
	EXPECT_EQ(erst[1], EVENTS);
	EXPECT_EQ(*reg(RT + 0x20 + 0x08), 1);		/* ERSTSZ */
	EXPECT_EQ(*reg(RT + 0x20 + 0x18), EV_PHYS);	/* ERDP */
	EXPECT_EQ(*reg(RT + 0x20 + 0x10), ERST_PHYS);	/* ERSTBA */
	xhci_run(&x, true);
	EXPECT_EQ(*reg(OP(0x00)) & 5, 5);		/* Run/Stop, INTE */
	EXPECT_EQ(*reg(RT + 0x20) & 2, 2);		/* IMAN.IE */
}

KTEST(xhci_host, events_are_taken_by_their_cycle_bit_across_the_wrap)
{
	struct xhci x;
	struct xhci_trb cmd_trbs[RING] = { 0 }, ev[EVENTS] = { 0 }, out;
	uint64_t erst[2] = { 0 };
	struct xhci_ring cmd;

	ASSERT_EQ(fake_controller(&x, ~0u), XHCI_OK);
	xhci_ring_init(&cmd, cmd_trbs, RING_PHYS, RING);
	xhci_setup(&x, 0x400000, &cmd, ev, EV_PHYS, EVENTS, erst, ERST_PHYS);
	EXPECT_FALSE(xhci_event_next(&x, &out));	/* zeroed: cycle 0 is not ours */
	for (unsigned i = 0; i < EVENTS; i++)
		controller_writes(ev, i, 1, 10 + i);
	for (unsigned i = 0; i < EVENTS; i++) {
		ASSERT_TRUE(xhci_event_next(&x, &out));
		EXPECT_EQ(out.param, 10 + i);
		EXPECT_EQ(trb_code(&out), CC_SUCCESS);
	}
	/* Wrapped: the first lap's TRBs (cycle 1) are old now. */
	EXPECT_FALSE(xhci_event_next(&x, &out));
	xhci_event_done(&x);
	EXPECT_EQ(*reg(RT + 0x20 + 0x18), EV_PHYS | 8);	/* ERDP at the start, EHB */
	controller_writes(ev, 0, 0, 20);
	ASSERT_TRUE(xhci_event_next(&x, &out));
	EXPECT_EQ(out.param, 20);
	EXPECT_FALSE(xhci_event_next(&x, &out));
	xhci_event_done(&x);
	EXPECT_EQ(*reg(RT + 0x20 + 0x18), (EV_PHYS + 16) | 8);
}

KTEST(xhci_host, event_done_acknowledges_the_interrupt)
{
	struct xhci x;
	struct xhci_trb cmd_trbs[RING] = { 0 }, ev[EVENTS] = { 0 };
	uint64_t erst[2] = { 0 };
	struct xhci_ring cmd;

	ASSERT_EQ(fake_controller(&x, ~0u), XHCI_OK);
	xhci_ring_init(&cmd, cmd_trbs, RING_PHYS, RING);
	xhci_setup(&x, 0x400000, &cmd, ev, EV_PHYS, EVENTS, erst, ERST_PHYS);
	*reg(RT + 0x20) = 3;				/* IMAN: IE, IP pending */
	*reg(OP(0x04)) = 0;
	xhci_event_done(&x);
	EXPECT_EQ(*reg(RT + 0x20), 3);			/* IP written 1 (clears), IE kept */
	EXPECT_EQ(*reg(OP(0x04)), 1u << 3);		/* USBSTS: EINT alone written 1 */
}

KTEST(xhci_host, port_writes_keep_the_port_enabled_and_its_changes)
{
	struct xhci x;
	unsigned p = 5;
	uint32_t *portsc;

	ASSERT_EQ(fake_controller(&x, ~0u), XHCI_OK);
	portsc = reg(OP(0x400 + 0x10 * (p - 1)));
	/* Connected, enabled, powered, with a connect change pending. */
	*portsc = PORTSC_CCS | PORTSC_PED | PORTSC_PP | PORTSC_CSC | PORTSC_PRC | 3u << 10;
	EXPECT_EQ(portsc_speed(xhci_portsc(&x, p)), 3);
	xhci_port_set(&x, p, PORTSC_PR);
	/* PED is write-1-to-disable and the changes write-1-to-clear: none of
	 * them may be written back. */
	EXPECT_EQ(*portsc, PORTSC_PP | PORTSC_PR);
	*portsc = PORTSC_CCS | PORTSC_PED | PORTSC_PP | PORTSC_CSC | PORTSC_PRC;
	xhci_port_clear(&x, p, PORTSC_CSC | PORTSC_PED);	/* PED is not a change */
	EXPECT_EQ(*portsc, PORTSC_PP | PORTSC_CSC);
}

KTEST(xhci_host, contexts_are_laid_out_as_the_spec_says)
{
	uint32_t ctx[8];
	struct xhci_slot_ctx s = {
		.route = 0x12345, .speed = 2, .mtt = true, .hub = true, .entries = 3,
		.root_port = 5, .ports = 4, .tt_slot = 7, .tt_port = 2, .ttt = 1,
	};
	struct xhci_ep_ctx e = {
		.type = EP_TYPE_INTERRUPT_IN, .interval = 7, .cerr = 3, .max_packet = 8,
		.avg_trb_len = 8, .max_esit = 8, .dequeue = 0x123456780ull | 1,
	};

	memset(ctx, 0xee, sizeof ctx);
	xhci_ctx_slot(ctx, &s);
	EXPECT_EQ(ctx[0], 0x12345u | 2u << 20 | 1u << 25 | 1u << 26 | 3u << 27);
	EXPECT_EQ(ctx[1], 5u << 16 | 4u << 24);
	EXPECT_EQ(ctx[2], 7u | 2u << 8 | 1u << 16);
	EXPECT_EQ(ctx[3], 0);
	EXPECT_EQ(ctx[7], 0);				/* the whole 32 bytes zeroed */
	xhci_ctx_ep(ctx, &e);
	EXPECT_EQ(ctx[0], 7u << 16);
	EXPECT_EQ(ctx[1], 3u << 1 | 7u << 3 | 8u << 16);
	EXPECT_EQ(ctx[2], 0x23456781u);
	EXPECT_EQ(ctx[3], 0x1);
	EXPECT_EQ(ctx[4], 8u | 8u << 16);
	ctx[3] = 0x0800002a;				/* output slot ctx: state, address 42 */
	EXPECT_EQ(xhci_ctx_slot_address(ctx), 42);
}

static void free_regs(void) __attribute__((destructor));
static void free_regs(void)
{
	free(regs);
}
