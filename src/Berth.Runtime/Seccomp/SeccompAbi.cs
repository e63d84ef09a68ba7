namespace Berth.Runtime.Seccomp;

/// <summary>
/// The kernel's seccomp and classic-BPF ABI, with the C names of linux/seccomp.h, linux/filter.h,
/// linux/bpf_common.h and linux/audit.h kept verbatim so each value can be checked against the headers.
/// </summary>
public static class SeccompAbi
{
    // linux/seccomp.h: filter return values. The high 16 bits select the action, the low 16 carry data
    // (an errno for ERRNO, a message for TRACE).
    public const uint SECCOMP_RET_KILL_PROCESS = 0x80000000;
    public const uint SECCOMP_RET_KILL_THREAD = 0x00000000;
    public const uint SECCOMP_RET_TRAP = 0x00030000;
    public const uint SECCOMP_RET_ERRNO = 0x00050000;
    public const uint SECCOMP_RET_USER_NOTIF = 0x7fc00000;
    public const uint SECCOMP_RET_TRACE = 0x7ff00000;
    public const uint SECCOMP_RET_LOG = 0x7ffc0000;
    public const uint SECCOMP_RET_ALLOW = 0x7fff0000;
    public const uint SECCOMP_RET_DATA = 0x0000ffff;

    // linux/seccomp.h: flags for seccomp(SECCOMP_SET_MODE_FILTER, flags, prog).
    public const uint SECCOMP_FILTER_FLAG_TSYNC = 1u << 0;
    public const uint SECCOMP_FILTER_FLAG_LOG = 1u << 1;
    public const uint SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1u << 2;
    public const uint SECCOMP_FILTER_FLAG_NEW_LISTENER = 1u << 3;
    public const uint SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 1u << 4;
    public const uint SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1u << 5;

    // struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
    public const uint SeccompDataNrOffset = 0;
    public const uint SeccompDataArchOffset = 4;
    public const uint SeccompDataArgsOffset = 16;
    public const int SeccompDataSize = 64;

    // linux/audit.h: AUDIT_ARCH_* = EM_* | __AUDIT_ARCH_64BIT (0x80000000) | __AUDIT_ARCH_LE (0x40000000).
    public const uint AUDIT_ARCH_X86_64 = 62 | 0x80000000 | 0x40000000;   // EM_X86_64
    public const uint AUDIT_ARCH_I386 = 3 | 0x40000000;                   // EM_386
    public const uint AUDIT_ARCH_AARCH64 = 183 | 0x80000000 | 0x40000000; // EM_AARCH64
    public const uint AUDIT_ARCH_ARM = 40 | 0x40000000;                   // EM_ARM

    // asm/unistd.h (x86): x32 syscalls share AUDIT_ARCH_X86_64 and are told apart by this bit in nr.
    public const int __X32_SYSCALL_BIT = 0x40000000;

    // linux/bpf_common.h and linux/filter.h: the classic-BPF instruction encoding.
    public const ushort BPF_LD = 0x00;
    public const ushort BPF_ALU = 0x04;
    public const ushort BPF_JMP = 0x05;
    public const ushort BPF_RET = 0x06;
    public const ushort BPF_W = 0x00;
    public const ushort BPF_ABS = 0x20;
    public const ushort BPF_AND = 0x50;
    public const ushort BPF_JA = 0x00;
    public const ushort BPF_JEQ = 0x10;
    public const ushort BPF_JGT = 0x20;
    public const ushort BPF_JGE = 0x30;
    public const ushort BPF_JSET = 0x40;
    public const ushort BPF_K = 0x00;
    public const int BPF_MAXINSNS = 4096;
}
