using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Berth.Linux;

// <linux/bpf.h>: the bpf(2) system call (program load, cgroup attach/detach/query) and the
// eBPF instruction encoding. Only what cgroup v2 device filtering needs; names as in the header.

/// <summary>One eBPF instruction (<c>struct bpf_insn</c>), encoded as 8 little-endian bytes:
/// <c>code</c>, <c>dst_reg:4 | src_reg:4</c>, <c>s16 off</c>, <c>s32 imm</c>.</summary>
public readonly record struct BpfInsn(byte Code, byte Dst, byte Src, short Off, int Imm)
{
    public const int Size = 8;

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = Code;
        destination[1] = (byte)((Dst & 0x0f) | ((Src & 0x0f) << 4));
        BinaryPrimitives.WriteInt16LittleEndian(destination[2..], Off);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Imm);
    }

    public static BpfInsn Read(ReadOnlySpan<byte> source) => new(
        source[0], (byte)(source[1] & 0x0f), (byte)(source[1] >> 4),
        BinaryPrimitives.ReadInt16LittleEndian(source[2..]), BinaryPrimitives.ReadInt32LittleEndian(source[4..]));

    public static byte[] Encode(IReadOnlyList<BpfInsn> program)
    {
        var bytes = new byte[program.Count * Size];
        for (int i = 0; i < program.Count; i++) program[i].WriteTo(bytes.AsSpan(i * Size, Size));
        return bytes;
    }

    public static BpfInsn[] Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % Size != 0) throw new ArgumentException($"eBPF program length {bytes.Length} is not a multiple of {Size}");
        var program = new BpfInsn[bytes.Length / Size];
        for (int i = 0; i < program.Length; i++) program[i] = Read(bytes.Slice(i * Size, Size));
        return program;
    }

    public override string ToString() => $"{{code=0x{Code:x2} dst=r{Dst} src=r{Src} off={Off} imm={Imm}}}";
}

public static unsafe partial class Bpf
{
    // Instruction classes, sizes, modes, operations and sources (<linux/bpf_common.h>, <linux/bpf.h>).
    public const byte BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03, BPF_ALU = 0x04,
        BPF_JMP = 0x05, BPF_JMP32 = 0x06, BPF_ALU64 = 0x07;
    public const byte BPF_W = 0x00, BPF_H = 0x08, BPF_B = 0x10, BPF_DW = 0x18;
    public const byte BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_IND = 0x40, BPF_MEM = 0x60;
    public const byte BPF_ADD = 0x00, BPF_SUB = 0x10, BPF_MUL = 0x20, BPF_DIV = 0x30, BPF_OR = 0x40,
        BPF_AND = 0x50, BPF_LSH = 0x60, BPF_RSH = 0x70, BPF_NEG = 0x80, BPF_MOD = 0x90, BPF_XOR = 0xa0,
        BPF_MOV = 0xb0, BPF_ARSH = 0xc0;
    public const byte BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30, BPF_JSET = 0x40,
        BPF_JNE = 0x50, BPF_CALL = 0x80, BPF_EXIT = 0x90;
    public const byte BPF_K = 0x00, BPF_X = 0x08;
    public const byte BPF_REG_0 = 0, BPF_REG_1 = 1, BPF_REG_2 = 2, BPF_REG_3 = 3, BPF_REG_4 = 4,
        BPF_REG_5 = 5, BPF_REG_6 = 6, BPF_REG_7 = 7, BPF_REG_8 = 8, BPF_REG_9 = 9, BPF_REG_10 = 10;

    // enum bpf_cmd
    public const int BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9,
        BPF_PROG_GET_FD_BY_ID = 13, BPF_PROG_QUERY = 16;

    // enum bpf_prog_type / enum bpf_attach_type
    public const uint BPF_PROG_TYPE_CGROUP_DEVICE = 15;
    public const uint BPF_CGROUP_DEVICE = 6;

    // Attach flags
    public const uint BPF_F_ALLOW_OVERRIDE = 1, BPF_F_ALLOW_MULTI = 2, BPF_F_REPLACE = 4;

    // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }:
    // access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*.
    public const int BPF_DEVCG_ACC_MKNOD = 1, BPF_DEVCG_ACC_READ = 2, BPF_DEVCG_ACC_WRITE = 4;
    public const int BPF_DEVCG_DEV_BLOCK = 1, BPF_DEVCG_DEV_CHAR = 2;

    // The kernel accepts a larger attr when the tail is zero; 128 bytes covers every field used here.
    private const int AttrSize = 128;

    private static long SYS_bpf => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        var a => throw new PlatformNotSupportedException($"bpf(2): no syscall number for {a}"),
    };

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall_bpf(long number, long cmd, void* attr, long size);

    private static long Call(int cmd, byte* attr) => syscall_bpf(SYS_bpf, cmd, attr, AttrSize);

    /// <summary>Opens a directory (a cgroup) read-only to be the target of <see cref="ProgAttach"/>.</summary>
    public static SafeFileHandle OpenDirectory(string path)
    {
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (fd < 0) Errno.Throw($"open {path}");
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>BPF_PROG_LOAD. On failure the verifier log (if any) is part of the exception.</summary>
    /// <param name="insns">the encoded program (<see cref="BpfInsn.Encode"/>).</param>
    public static SafeFileHandle ProgLoad(uint progType, ReadOnlySpan<byte> insns, string license, string name, uint expectedAttachType = 0)
    {
        if (insns.Length == 0 || insns.Length % BpfInsn.Size != 0)
            throw new ArgumentException($"eBPF program length {insns.Length} is not a positive multiple of {BpfInsn.Size}", nameof(insns));
        byte[] licenseZ = [.. System.Text.Encoding.ASCII.GetBytes(license), 0];
        byte[] nameBytes = System.Text.Encoding.ASCII.GetBytes(name);
        if (nameBytes.Length > 15) throw new ArgumentException($"eBPF program name '{name}' is longer than 15 characters", nameof(name));

        long fd = Load(progType, insns, licenseZ, nameBytes, expectedAttachType, logBuffer: default);
        if (fd >= 0) return new SafeFileHandle((nint)fd, ownsHandle: true);
        int errno = Marshal.GetLastPInvokeError();
        if (errno is Errno.EINVAL or Errno.EACCES)
        {
            // Load again with the verifier log to say why the program was refused.
            var log = new byte[64 * 1024];
            fd = Load(progType, insns, licenseZ, nameBytes, expectedAttachType, log);
            if (fd >= 0) return new SafeFileHandle((nint)fd, ownsHandle: true);
            errno = Marshal.GetLastPInvokeError();
            int end = Array.IndexOf(log, (byte)0);
            string text = System.Text.Encoding.UTF8.GetString(log, 0, end < 0 ? log.Length : end).Trim();
            if (text.Length > 2000) text = "…" + text[^2000..]; // the verifier's reason is at the end
            if (text.Length > 0) throw new SyscallException(errno, $"bpf(BPF_PROG_LOAD) type {progType}, {insns.Length / BpfInsn.Size} instructions; verifier: {text.ReplaceLineEndings(" | ")}");
        }
        throw new SyscallException(errno, $"bpf(BPF_PROG_LOAD) type {progType}, {insns.Length / BpfInsn.Size} instructions");
    }

    private static long Load(uint progType, ReadOnlySpan<byte> insns, byte[] licenseZ, byte[] nameBytes, uint expectedAttachType, Span<byte> logBuffer)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (byte* insnPtr = insns)
        fixed (byte* licensePtr = licenseZ)
        fixed (byte* logPtr = logBuffer)
        {
            *(uint*)(attr + 0) = progType;                       // prog_type
            *(uint*)(attr + 4) = (uint)(insns.Length / BpfInsn.Size); // insn_cnt
            *(ulong*)(attr + 8) = (ulong)insnPtr;                // insns
            *(ulong*)(attr + 16) = (ulong)licensePtr;            // license
            if (logBuffer.Length > 0)
            {
                *(uint*)(attr + 24) = 1;                         // log_level
                *(uint*)(attr + 28) = (uint)logBuffer.Length;    // log_size
                *(ulong*)(attr + 32) = (ulong)logPtr;            // log_buf
            }
            nameBytes.CopyTo(new Span<byte>(attr + 48, 16));     // prog_name[16]
            *(uint*)(attr + 68) = expectedAttachType;            // expected_attach_type
            return Call(BPF_PROG_LOAD, attr);
        }
    }

    /// <summary>BPF_PROG_ATTACH: attaches <paramref name="prog"/> to the cgroup open as <paramref name="target"/>.
    /// With BPF_F_ALLOW_MULTI the cgroup keeps a reference: the program stays attached after the fds close.</summary>
    public static void ProgAttach(SafeHandle target, SafeHandle prog, uint attachType, uint flags)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = (uint)target.DangerousGetHandle();   // target_fd
        *(uint*)(attr + 4) = (uint)prog.DangerousGetHandle();     // attach_bpf_fd
        *(uint*)(attr + 8) = attachType;                          // attach_type
        *(uint*)(attr + 12) = flags;                              // attach_flags
        Errno.Check(Call(BPF_PROG_ATTACH, attr), $"bpf(BPF_PROG_ATTACH) type {attachType} flags {flags}");
        GC.KeepAlive(target);
        GC.KeepAlive(prog);
    }

    /// <summary>BPF_PROG_DETACH of one program from the cgroup open as <paramref name="target"/>.</summary>
    public static void ProgDetach(SafeHandle target, SafeHandle prog, uint attachType)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = (uint)target.DangerousGetHandle();   // target_fd
        *(uint*)(attr + 4) = (uint)prog.DangerousGetHandle();     // attach_bpf_fd
        *(uint*)(attr + 8) = attachType;                          // attach_type
        Errno.Check(Call(BPF_PROG_DETACH, attr), $"bpf(BPF_PROG_DETACH) type {attachType}");
        GC.KeepAlive(target);
        GC.KeepAlive(prog);
    }

    /// <summary>BPF_PROG_QUERY: ids of the programs attached directly to the cgroup for <paramref name="attachType"/>.</summary>
    public static uint[] ProgQuery(SafeHandle target, uint attachType)
    {
        const int Max = 64; // the kernel allows at most 64 programs per attach point
        uint* ids = stackalloc uint[Max];
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = (uint)target.DangerousGetHandle();   // target_fd
        *(uint*)(attr + 4) = attachType;                          // attach_type
        *(ulong*)(attr + 16) = (ulong)ids;                        // prog_ids
        *(uint*)(attr + 24) = Max;                                // prog_cnt (in: capacity, out: count)
        Errno.Check(Call(BPF_PROG_QUERY, attr), $"bpf(BPF_PROG_QUERY) type {attachType}");
        GC.KeepAlive(target);
        uint count = Math.Min(*(uint*)(attr + 24), Max);
        return new ReadOnlySpan<uint>(ids, (int)count).ToArray();
    }

    /// <summary>BPF_PROG_GET_FD_BY_ID: an fd for a loaded program, e.g. to detach it.</summary>
    public static SafeFileHandle ProgGetFdById(uint id)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = id;                                  // prog_id
        long fd = Errno.Check(Call(BPF_PROG_GET_FD_BY_ID, attr), $"bpf(BPF_PROG_GET_FD_BY_ID) id {id}");
        return new SafeFileHandle((nint)fd, ownsHandle: true);
    }
}
