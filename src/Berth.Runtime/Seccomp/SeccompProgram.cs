using System.Runtime.InteropServices;
using static Berth.Runtime.Seccomp.SeccompAbi;

namespace Berth.Runtime.Seccomp;

/// <summary>
/// One classic-BPF instruction, laid out as the kernel's <c>struct sock_filter</c>
/// (<c>__u16 code; __u8 jt; __u8 jf; __u32 k;</c>, 8 bytes).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct SockFilter(ushort Code, byte Jt, byte Jf, uint K)
{
    public const int Size = 8;

    /// <summary>The instruction in the host's byte order, as <c>seccomp(2)</c> reads it.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    public void WriteTo(Span<byte> destination) => MemoryMarshal.Write(destination, in this);

    /// <summary>A bpf_dbg-like rendering, for debug logs and test failures.</summary>
    public override string ToString() => Code switch
    {
        BPF_LD | BPF_W | BPF_ABS => $"ld [{K}]",
        BPF_ALU | BPF_AND | BPF_K => $"and #0x{K:x}",
        BPF_JMP | BPF_JA => $"ja +{K}",
        BPF_JMP | BPF_JEQ | BPF_K => $"jeq #0x{K:x} jt +{Jt} jf +{Jf}",
        BPF_JMP | BPF_JGT | BPF_K => $"jgt #0x{K:x} jt +{Jt} jf +{Jf}",
        BPF_JMP | BPF_JGE | BPF_K => $"jge #0x{K:x} jt +{Jt} jf +{Jf}",
        BPF_JMP | BPF_JSET | BPF_K => $"jset #0x{K:x} jt +{Jt} jf +{Jf}",
        BPF_RET | BPF_K => $"ret #0x{K:x}",
        _ => $"code 0x{Code:x} jt {Jt} jf {Jf} k 0x{K:x}",
    };
}

/// <summary>A compiled seccomp filter, ready for <c>seccomp(SECCOMP_SET_MODE_FILTER, Flags, prog)</c>.</summary>
public sealed class SeccompProgram
{
    internal SeccompProgram(SockFilter[] instructions, uint flags, bool usesNotify, string[] skippedSyscalls)
    {
        Instructions = instructions;
        Flags = flags;
        UsesNotify = usesNotify;
        SkippedSyscalls = skippedSyscalls;
    }

    public IReadOnlyList<SockFilter> Instructions { get; }

    /// <summary>
    /// The <c>SECCOMP_FILTER_FLAG_*</c> bits the profile asked for. When <see cref="UsesNotify"/> is set
    /// the loader must add <see cref="SeccompAbi.SECCOMP_FILTER_FLAG_NEW_LISTENER"/> itself (and then
    /// cannot combine it with TSYNC unless it also passes TSYNC_ESRCH).
    /// </summary>
    public uint Flags { get; }

    /// <summary>Whether some syscall returns <c>SECCOMP_RET_USER_NOTIF</c>, so a listener fd is needed.</summary>
    public bool UsesNotify { get; }

    /// <summary>
    /// Syscall names of the profile that none of the compiled architectures knows. They were left out
    /// of the filter, as runc does; worth a debug log line.
    /// </summary>
    public IReadOnlyList<string> SkippedSyscalls { get; }

    /// <summary>The whole program as the array of <c>struct sock_filter</c> that <c>struct sock_fprog</c> points to.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Instructions.Count * SockFilter.Size];
        for (var i = 0; i < Instructions.Count; i++)
        {
            Instructions[i].WriteTo(bytes.AsSpan(i * SockFilter.Size, SockFilter.Size));
        }
        return bytes;
    }
}
