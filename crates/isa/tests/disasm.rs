use sonde_isa::{
    decode_all, disassemble, disassemble_one, encode_all, helper, op, Insn, Size, R0, R1, R10, R2,
    R3,
};

fn text(insn: Insn) -> String {
    disassemble_one(&insn, None)
}

fn pair(insns: [Insn; 2]) -> String {
    disassemble_one(&insns[0], Some(&insns[1]))
}

#[test]
fn alu64_immediate_forms() {
    assert_eq!(text(Insn::alu64_imm(op::ADD, R0, 1)), "r0 += 1");
    assert_eq!(text(Insn::alu64_imm(op::SUB, R1, -5)), "r1 -= -5");
    assert_eq!(text(Insn::alu64_imm(op::MUL, R2, 3)), "r2 *= 3");
    assert_eq!(text(Insn::alu64_imm(op::DIV, R2, 10)), "r2 /= 10");
    assert_eq!(text(Insn::alu64_imm(op::OR, R2, 1)), "r2 |= 1");
    assert_eq!(text(Insn::alu64_imm(op::AND, R2, 255)), "r2 &= 255");
    assert_eq!(text(Insn::alu64_imm(op::LSH, R2, 32)), "r2 <<= 32");
    assert_eq!(text(Insn::alu64_imm(op::RSH, R2, 32)), "r2 >>= 32");
    assert_eq!(text(Insn::alu64_imm(op::MOD, R2, 7)), "r2 %= 7");
    assert_eq!(text(Insn::alu64_imm(op::XOR, R2, -1)), "r2 ^= -1");
    assert_eq!(text(Insn::alu64_imm(op::ARSH, R2, 3)), "r2 s>>= 3");
    assert_eq!(text(Insn::mov64_imm(R1, -1)), "r1 = -1");
    assert_eq!(text(Insn::mov64_imm(R0, 0)), "r0 = 0");
}

#[test]
fn alu64_register_forms() {
    assert_eq!(text(Insn::alu64_reg(op::ADD, R1, R2)), "r1 += r2");
    assert_eq!(text(Insn::alu64_reg(op::LSH, R3, R1)), "r3 <<= r1");
    assert_eq!(text(Insn::mov64_reg(R1, R10)), "r1 = r10");
    assert_eq!(text(Insn::alu64_reg_signed(op::DIV, R1, R2)), "r1 s/= r2");
    assert_eq!(text(Insn::alu64_reg_signed(op::MOD, R1, R2)), "r1 s%= r2");
    // Signed division by an immediate uses the same `off` marker.
    let sdiv_imm = Insn::new(op::ALU64 | op::DIV | op::K, R1, 0, 1, 3);
    assert_eq!(text(sdiv_imm), "r1 s/= 3");
}

#[test]
fn alu32_uses_w_registers() {
    assert_eq!(text(Insn::alu32_imm(op::ADD, R0, 1)), "w0 += 1");
    assert_eq!(text(Insn::alu32_reg(op::MOV, R1, R2)), "w1 = w2");
    assert_eq!(text(Insn::alu32_reg(op::XOR, R3, R3)), "w3 ^= w3");
    let neg32 = Insn::new(op::ALU | op::NEG | op::K, R1, 0, 0, 0);
    assert_eq!(text(neg32), "w1 = -w1");
}

#[test]
fn negation_and_byte_swaps() {
    assert_eq!(text(Insn::neg64(R1)), "r1 = -r1");
    assert_eq!(text(Insn::endian(R1, 16, true)), "r1 = be16 r1");
    assert_eq!(text(Insn::endian(R2, 32, false)), "r2 = le32 r2");
    assert_eq!(text(Insn::endian(R3, 64, true)), "r3 = be64 r3");
    let bswap = Insn::new(op::ALU64 | op::END | op::K, R1, 0, 0, 16);
    assert_eq!(text(bswap), "r1 = bswap16 r1");
}

#[test]
fn sign_extending_moves() {
    let movsx = |off| Insn::new(op::ALU64 | op::MOV | op::X, R1, R2, off, 0);
    assert_eq!(text(movsx(8)), "r1 = (s8)r2");
    assert_eq!(text(movsx(16)), "r1 = (s16)r2");
    assert_eq!(text(movsx(32)), "r1 = (s32)r2");
    let movsx32 = Insn::new(op::ALU | op::MOV | op::X, R1, R2, 8, 0);
    assert_eq!(text(movsx32), "w1 = (s8)w2");
}

#[test]
fn loads_and_stores() {
    assert_eq!(text(Insn::ldx(Size::W, R1, R1, 0)), "r1 = *(u32 *)(r1 +0)");
    assert_eq!(
        text(Insn::ldx(Size::DW, R0, R10, -16)),
        "r0 = *(u64 *)(r10 -16)"
    );
    assert_eq!(text(Insn::ldx(Size::B, R2, R3, 7)), "r2 = *(u8 *)(r3 +7)");
    assert_eq!(text(Insn::ldx(Size::H, R2, R3, 2)), "r2 = *(u16 *)(r3 +2)");
    assert_eq!(
        text(Insn::stx(Size::DW, R10, -8, R1)),
        "*(u64 *)(r10 -8) = r1"
    );
    assert_eq!(text(Insn::stx(Size::B, R1, 3, R2)), "*(u8 *)(r1 +3) = r2");
    assert_eq!(
        text(Insn::st_imm(Size::W, R10, -4, 0)),
        "*(u32 *)(r10 -4) = 0"
    );
    assert_eq!(
        text(Insn::st_imm(Size::H, R10, -2, -7)),
        "*(u16 *)(r10 -2) = -7"
    );
}

#[test]
fn sign_extending_loads() {
    let ldsx = |size: u8| Insn::new(op::LDX | op::MEMSX | size, R1, R2, -4, 0);
    assert_eq!(text(ldsx(op::B)), "r1 = *(s8 *)(r2 -4)");
    assert_eq!(text(ldsx(op::H)), "r1 = *(s16 *)(r2 -4)");
    assert_eq!(text(ldsx(op::W)), "r1 = *(s32 *)(r2 -4)");
    assert_eq!(text(ldsx(op::DW)), "(bad opcode 0x99)");
}

#[test]
fn atomics() {
    assert_eq!(
        text(Insn::atomic_add(Size::DW, R1, 0, R2)),
        "lock *(u64 *)(r1 +0) += r2"
    );
    assert_eq!(
        text(Insn::atomic_add(Size::W, R10, -4, R3)),
        "lock *(u32 *)(r10 -4) += r3"
    );
    let atomic = |size: u8, imm: i32| Insn::new(op::STX | op::ATOMIC | size, R1, R2, 8, imm);
    assert_eq!(
        text(atomic(op::DW, op::AND as i32)),
        "lock *(u64 *)(r1 +8) &= r2"
    );
    assert_eq!(
        text(atomic(op::DW, op::OR as i32)),
        "lock *(u64 *)(r1 +8) |= r2"
    );
    assert_eq!(
        text(atomic(op::W, op::XOR as i32)),
        "lock *(u32 *)(r1 +8) ^= r2"
    );
    assert_eq!(
        text(atomic(op::DW, op::ADD as i32 | op::FETCH)),
        "r2 = atomic64_fetch_add((u64 *)(r1 +8), r2)"
    );
    assert_eq!(
        text(atomic(op::W, op::XOR as i32 | op::FETCH)),
        "r2 = atomic_fetch_xor((u32 *)(r1 +8), r2)"
    );
    assert_eq!(
        text(atomic(op::DW, op::XCHG)),
        "r2 = atomic64_xchg((u64 *)(r1 +8), r2)"
    );
    assert_eq!(
        text(atomic(op::DW, op::CMPXCHG)),
        "r0 = atomic64_cmpxchg((u64 *)(r1 +8), r0, r2)"
    );
    assert_eq!(
        text(atomic(op::DW, 0x100)),
        "r1 = load_acquire((u64 *)(r2 +8))"
    );
    assert_eq!(
        text(atomic(op::W, 0x110)),
        "store_release((u32 *)(r1 +8), r2)"
    );
    assert_eq!(text(atomic(op::DW, op::SUB as i32)), "(bad opcode 0xdb)");
}

#[test]
fn immediate_64_bit_loads() {
    assert_eq!(
        pair(Insn::ld_imm64(R1, 0x1_2345_6789)),
        "r1 = 0x123456789 ll"
    );
    assert_eq!(pair(Insn::ld_imm64(R2, 0)), "r2 = 0x0 ll");
    assert_eq!(
        pair(Insn::ld_imm64(R0, u64::MAX)),
        "r0 = 0xffffffffffffffff ll"
    );
    assert_eq!(pair(Insn::ld_map_fd(R1, 3)), "r1 = map[fd:3]");
    let value = [
        Insn::new(
            op::LD | op::IMM | op::DW,
            R1,
            sonde_isa::PSEUDO_MAP_VALUE,
            0,
            4,
        ),
        Insn::new(0, 0, 0, 0, 16),
    ];
    assert_eq!(pair(value), "r1 = map[fd:4][0]+16");
    let first = Insn::ld_imm64(R1, 5)[0];
    assert_eq!(
        disassemble_one(&first, None),
        "r1 = (ld_imm64 missing its second slot)"
    );
}

#[test]
fn jumps() {
    assert_eq!(
        text(Insn::jmp_reg(op::JGT, R3, R1, 12)),
        "if r3 > r1 goto pc+12"
    );
    assert_eq!(
        text(Insn::jmp_imm(op::JEQ, R0, 0, 3)),
        "if r0 == 0x0 goto pc+3"
    );
    assert_eq!(
        text(Insn::jmp_imm(op::JNE, R1, -1, -2)),
        "if r1 != 0xffffffff goto pc-2"
    );
    assert_eq!(
        text(Insn::jmp_imm(op::JSLE, R1, 5, 0)),
        "if r1 s<= 0x5 goto pc+0"
    );
    assert_eq!(
        text(Insn::jmp_reg(op::JSET, R1, R2, 1)),
        "if r1 & r2 goto pc+1"
    );
    assert_eq!(
        text(Insn::jmp_reg(op::JGE, R1, R2, 1)),
        "if r1 >= r2 goto pc+1"
    );
    assert_eq!(
        text(Insn::jmp_reg(op::JLT, R1, R2, 1)),
        "if r1 < r2 goto pc+1"
    );
    assert_eq!(
        text(Insn::jmp_reg(op::JLE, R1, R2, 1)),
        "if r1 <= r2 goto pc+1"
    );
    assert_eq!(
        text(Insn::jmp_reg(op::JSGT, R1, R2, 1)),
        "if r1 s> r2 goto pc+1"
    );
    assert_eq!(
        text(Insn::jmp_reg(op::JSGE, R1, R2, 1)),
        "if r1 s>= r2 goto pc+1"
    );
    let jmp32 = Insn::new(op::JMP32 | op::JSLT | op::K, R1, 0, -3, 5);
    assert_eq!(text(jmp32), "if w1 s< 0x5 goto pc-3");
    let jmp32_reg = Insn::new(op::JMP32 | op::JEQ | op::X, R1, R2, 4, 0);
    assert_eq!(text(jmp32_reg), "if w1 == w2 goto pc+4");
    assert_eq!(text(Insn::ja(3)), "goto pc+3");
    assert_eq!(text(Insn::ja(-1)), "goto pc-1");
    let gotol = Insn::new(op::JMP32 | op::JA, 0, 0, 0, 70000);
    assert_eq!(text(gotol), "gotol pc+70000");
    let may_goto = Insn::new(op::JMP | 0xe0, 0, 0, 5, 0);
    assert_eq!(text(may_goto), "may_goto pc+5");
    assert_eq!(text(Insn::exit()), "exit");
}

#[test]
fn calls() {
    assert_eq!(text(Insn::call(1)), "call bpf_map_lookup_elem#1");
    assert_eq!(
        text(Insn::call(helper::GET_CURRENT_PID_TGID)),
        "call bpf_get_current_pid_tgid#14"
    );
    assert_eq!(text(Insn::call(9999)), "call unknown#9999");
    assert_eq!(text(Insn::call(-1)), "call unknown#-1");
    let local = Insn::new(op::JMP | op::CALL, 0, 1, 0, -7);
    assert_eq!(text(local), "call pc-7");
    let kfunc = Insn::new(op::JMP | op::CALL, 0, 2, 0, 1234);
    assert_eq!(text(kfunc), "call kernel-function#1234");
}

#[test]
fn malformed_encodings_never_panic() {
    assert_eq!(
        text(Insn::new(op::ALU64 | 0xe0, R1, 0, 0, 0)),
        "(bad opcode 0xe7)"
    );
    assert_eq!(
        text(Insn::new(op::JMP | 0xf0, R1, 0, 0, 0)),
        "(bad opcode 0xf5)"
    );
    assert_eq!(
        text(Insn::new(op::JMP32 | op::EXIT, 0, 0, 0, 0)),
        "(bad opcode 0x96)"
    );
    assert_eq!(
        text(Insn::new(op::LD | op::MEM | op::W, 0, 0, 0, 0)),
        "(bad opcode 0x60)"
    );
    assert_eq!(
        text(Insn::new(op::ST | op::IND | op::W, 0, 0, 0, 0)),
        "(bad opcode 0x42)"
    );
    assert_eq!(
        text(Insn::new(op::STX | op::IMM | op::W, 0, 0, 0, 0)),
        "(bad opcode 0x03)"
    );
    for code in 0..=u8::MAX {
        for src in [0u8, 1, 2, 7, 15] {
            for imm in [0, 1, -1, 0x100, i32::MIN] {
                let insn = Insn::new(code, 15, src, i16::MIN, imm);
                assert!(!disassemble_one(&insn, Some(&insn)).is_empty());
                assert!(!disassemble_one(&insn, None).is_empty());
            }
        }
    }
}

#[test]
fn listing_numbers_slots_and_skips_the_second_half_of_ld_imm64() {
    let mut program = vec![Insn::mov64_imm(R1, 0)];
    program.extend(Insn::ld_map_fd(R1, 3));
    program.push(Insn::stx(Size::DW, R10, -8, R1));
    program.extend(Insn::ld_imm64(R2, 1 << 40));
    program.push(Insn::call(helper::MAP_LOOKUP_ELEM));
    program.push(Insn::exit());
    assert_eq!(
        disassemble(&program),
        [
            "0: r1 = 0",
            "1: r1 = map[fd:3]",
            "3: *(u64 *)(r10 -8) = r1",
            "4: r2 = 0x10000000000 ll",
            "6: call bpf_map_lookup_elem#1",
            "7: exit",
        ]
    );
    assert!(disassemble(&[]).is_empty());
    let truncated = [Insn::ld_imm64(R1, 1)[0]];
    assert_eq!(
        disassemble(&truncated),
        ["0: r1 = (ld_imm64 missing its second slot)"]
    );
}

#[test]
fn decode_inverts_encode() {
    let mut program = vec![
        Insn::alu64_imm(op::ADD, R1, -123_456),
        Insn::alu32_reg(op::SUB, R2, R3),
        Insn::alu64_reg_signed(op::DIV, R10, R1),
        Insn::endian(R1, 64, true),
        Insn::ldx(Size::DW, R0, R10, i16::MIN),
        Insn::stx(Size::H, R10, i16::MAX, R1),
        Insn::st_imm(Size::B, R10, -1, i32::MIN),
        Insn::atomic_add(Size::DW, R1, 0, R2),
        Insn::jmp_imm(op::JSGT, R1, i32::MAX, -30),
        Insn::call(helper::RINGBUF_OUTPUT),
        Insn::exit(),
    ];
    program.extend(Insn::ld_imm64(R3, 0xdead_beef_0123_4567));
    program.extend(Insn::ld_map_fd(R1, 42));
    let bytes = encode_all(&program);
    assert_eq!(bytes.len(), program.len() * 8);
    assert_eq!(decode_all(&bytes), program);
    assert_eq!(
        Insn::mov64_imm(R1, 0x0102_0304).encode(),
        [0xb7, 0x01, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01]
    );
    assert_eq!(
        Insn::stx(Size::DW, R10, -8, R1).encode(),
        [0x7b, 0x1a, 0xf8, 0xff, 0x00, 0x00, 0x00, 0x00]
    );
    assert_eq!(
        decode_all(&bytes[..bytes.len() - 3]),
        program[..program.len() - 1]
    );
}
