using System.Buffers.Binary;
using Berth.Runtime.Seccomp;
using static Berth.Runtime.Seccomp.SeccompAbi;

namespace Berth.UnitTests.Seccomp;

/// <summary>The input of a seccomp filter: <c>struct seccomp_data</c>.</summary>
public sealed record SeccompData(int Nr, uint Arch, ulong InstructionPointer = 0, params ulong[] Args)
{
    /// <summary>The 64 bytes the kernel hands to the filter, little endian as on x86 and arm64.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[SeccompDataSize];
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(0), Nr);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), Arch);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), InstructionPointer);
        for (var i = 0; i < Args.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16 + 8 * i), Args[i]);
        }
        return bytes;
    }
}

/// <summary>
/// A classic-BPF interpreter for the instructions the seccomp compiler emits, with the checks the
/// kernel's verifier makes (seccomp_check_filter, bpf_check_classic) so a program it accepts here
/// would be accepted by the kernel too.
/// </summary>
public static class BpfInterpreter
{
    public static uint Run(IReadOnlyList<SockFilter> program, SeccompData data)
    {
        Verify(program);
        var input = data.ToBytes();
        uint a = 0;
        var pc = 0;
        while (true)
        {
            var insn = program[pc++];
            switch (insn.Code)
            {
                case BPF_LD | BPF_W | BPF_ABS:
                    a = BinaryPrimitives.ReadUInt32LittleEndian(input.AsSpan((int)insn.K, 4));
                    break;
                case BPF_ALU | BPF_AND | BPF_K:
                    a &= insn.K;
                    break;
                case BPF_JMP | BPF_JA:
                    pc += (int)insn.K;
                    break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                    pc += a == insn.K ? insn.Jt : insn.Jf;
                    break;
                case BPF_JMP | BPF_JGT | BPF_K:
                    pc += a > insn.K ? insn.Jt : insn.Jf;
                    break;
                case BPF_JMP | BPF_JGE | BPF_K:
                    pc += a >= insn.K ? insn.Jt : insn.Jf;
                    break;
                case BPF_JMP | BPF_JSET | BPF_K:
                    pc += (a & insn.K) != 0 ? insn.Jt : insn.Jf;
                    break;
                case BPF_RET | BPF_K:
                    return insn.K;
                default:
                    throw new InvalidOperationException($"unexpected instruction {insn} at {pc - 1}");
            }
        }
    }

    /// <summary>Static checks: length, known opcodes, aligned in-bounds loads, jumps inside the program, ends in ret.</summary>
    public static void Verify(IReadOnlyList<SockFilter> program)
    {
        if (program.Count is 0 or > BPF_MAXINSNS)
        {
            throw new InvalidOperationException($"program length {program.Count}");
        }
        for (var pc = 0; pc < program.Count; pc++)
        {
            var insn = program[pc];
            var remaining = program.Count - pc - 1;
            switch (insn.Code)
            {
                case BPF_LD | BPF_W | BPF_ABS:
                    if (insn.K % 4 != 0 || insn.K >= SeccompDataSize)
                    {
                        throw new InvalidOperationException($"bad load {insn} at {pc}");
                    }
                    break;
                case BPF_ALU | BPF_AND | BPF_K:
                case BPF_RET | BPF_K:
                    break;
                case BPF_JMP | BPF_JA:
                    if (insn.K >= remaining)
                    {
                        throw new InvalidOperationException($"ja out of program at {pc}");
                    }
                    break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                case BPF_JMP | BPF_JGT | BPF_K:
                case BPF_JMP | BPF_JGE | BPF_K:
                case BPF_JMP | BPF_JSET | BPF_K:
                    if (insn.Jt >= remaining || insn.Jf >= remaining)
                    {
                        throw new InvalidOperationException($"jump out of program at {pc}");
                    }
                    break;
                default:
                    throw new InvalidOperationException($"unexpected instruction {insn} at {pc}");
            }
        }
        if (program[^1].Code != (BPF_RET | BPF_K))
        {
            throw new InvalidOperationException("program does not end in ret");
        }
    }
}
