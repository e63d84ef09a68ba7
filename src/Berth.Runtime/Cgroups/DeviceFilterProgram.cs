using Berth.Linux;
using Berth.Oci;
using static Berth.Linux.Bpf;

namespace Berth.Runtime.Cgroups;

/// <summary>
/// Compiles OCI device cgroup rules to a BPF_PROG_TYPE_CGROUP_DEVICE program: cgroup v2's replacement
/// for devices.allow/devices.deny. The kernel runs it on every open/mknod of a device node with
/// <c>struct bpf_cgroup_dev_ctx</c> in r1; returning 0 refuses the access with EPERM.
/// <para>Semantics: the list starts from "deny everything" and <b>the last rule that matches wins</b>,
/// decided separately for each access bit requested (m, r, w): a request is allowed only if, for each
/// of its bits, the last rule matching the device type, major, minor and that bit is an allow rule.
/// "a" rules (all devices, all access) reset the decision, as they do on v1. This is the v1 model a
/// reader expects; it differs from the v1 kernel only where v1 is surprising (a deny rule there only
/// removes an exception written with exactly the same type/major/minor, so "deny c 1:3 w" does not
/// carve a hole out of an earlier "allow c *:* rwm", while here it does).</para>
/// <para>Program shape (registers: r2 device type, r3 access bits, r4 major, r5 minor):</para>
/// <code>
///   r2 = ctx->access_type; r3 = r2 &gt;&gt; 16; r2 &amp;= 0xffff; r4 = ctx->major; r5 = ctx->minor
///   if (r3 &amp; ~(m|r|w)) != 0 return 0
///   for bit in (mknod, read, write):
///       if (r3 &amp; bit) == 0 goto next_bit
///       for rule in reversed(rules) where bit in rule.access:   // stops after an unconditional rule
///           if type/major/minor differ goto next_rule
///           allow ? goto next_bit : return 0
///       return 0                                                 // no rule: denied
///   next_bit: …
///   return 1
/// </code>
/// No instruction is unreachable (the verifier refuses programs that have some).
/// </summary>
public static class DeviceFilterProgram
{
    public const string License = "Apache-2.0";
    public const string Name = "berth_devices";

    private static readonly int[] AccessBits = [BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE];

    /// <summary>Compiles linux.resources.devices (validated; <see cref="SpecException"/> on bad rules).</summary>
    public static IReadOnlyList<BpfInsn> Compile(IReadOnlyList<LinuxDeviceCgroup> rules) => Compile(DeviceRule.FromList(rules));

    public static IReadOnlyList<BpfInsn> Compile(IReadOnlyList<DeviceRule> rules)
    {
        var p = new List<BpfInsn>
        {
            LoadContext(BPF_REG_2, 0),                                    // r2 = access_type
            new(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0), // r3 = r2
            new(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16),        // r3 >>= 16: BPF_DEVCG_ACC_*
            new(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff),    // r2 &= 0xffff: BPF_DEVCG_DEV_*
            LoadContext(BPF_REG_4, 4),                                    // r4 = major
            LoadContext(BPF_REG_5, 8),                                    // r5 = minor
            // Access bits this program does not know are never allowed.
            new(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_3, 0, 0), // r6 = r3
            new(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_6, 0, 0, ~(BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)),
            new(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_6, 0, 2, 0),           // none: go on
        };
        p.AddRange(Return(0));

        foreach (int bit in AccessBits)
        {
            var toNextBit = new List<int>(); // jumps to patch to the end of this bit's block
            p.Add(new(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_3, 0, 0)); // r6 = r3
            p.Add(new(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_6, 0, 0, bit));       // r6 &= bit
            toNextBit.Add(p.Count);
            p.Add(new(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_6, 0, 0, 0));           // bit not requested: skip

            bool decided = false; // an unconditional rule was emitted: nothing after it is reachable
            for (int i = rules.Count - 1; i >= 0 && !decided; i--)
            {
                var rule = rules[i];
                if ((rule.AccessBits & bit) == 0) continue;
                var toNextRule = new List<int>();
                if (rule.Type != 'a')
                {
                    toNextRule.Add(p.Count);
                    p.Add(new(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0, rule.Type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
                }
                if (rule.Major is { } major)
                {
                    toNextRule.Add(p.Count);
                    p.Add(new(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, checked((int)major)));
                }
                if (rule.Minor is { } minor)
                {
                    toNextRule.Add(p.Count);
                    p.Add(new(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, checked((int)minor)));
                }
                if (rule.Allow)
                {
                    toNextBit.Add(p.Count);
                    p.Add(new(BPF_JMP | BPF_JA, 0, 0, 0, 0));
                }
                else
                {
                    p.AddRange(Return(0));
                }
                foreach (int at in toNextRule) Patch(p, at, p.Count);
                decided = toNextRule.Count == 0;
            }
            if (!decided) p.AddRange(Return(0)); // no rule for this bit: denied
            foreach (int at in toNextBit) Patch(p, at, p.Count);
        }
        p.AddRange(Return(1));
        return p;
    }

    /// <summary>The program as the bytes bpf(BPF_PROG_LOAD) takes.</summary>
    public static byte[] CompileBytes(IReadOnlyList<LinuxDeviceCgroup> rules) => BpfInsn.Encode(Compile(rules));

    /// <summary>
    /// Loads the program for <paramref name="rules"/> and attaches it to the cgroup directory with
    /// BPF_F_ALLOW_MULTI, then detaches the device programs that were attached there before, so the
    /// cgroup is never without a filter while the rules change.
    /// </summary>
    public static void Attach(string cgroupDirectory, IReadOnlyList<DeviceRule> rules)
    {
        byte[] program = BpfInsn.Encode(Compile(rules));
        using var cgroup = OpenDirectory(cgroupDirectory);
        uint[] previous = ProgQuery(cgroup, BPF_CGROUP_DEVICE);
        using (var prog = ProgLoad(BPF_PROG_TYPE_CGROUP_DEVICE, program, License, Name, BPF_CGROUP_DEVICE))
            ProgAttach(cgroup, prog, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI);
        foreach (uint id in previous)
        {
            try
            {
                using var old = ProgGetFdById(id);
                ProgDetach(cgroup, old, BPF_CGROUP_DEVICE);
            }
            catch (SyscallException e) when (e.Errno is Errno.ENOENT)
            {
                // detached meanwhile
            }
        }
    }

    private static BpfInsn LoadContext(byte register, short offset)
        => new(BPF_LDX | BPF_MEM | BPF_W, register, BPF_REG_1, offset, 0);

    private static BpfInsn[] Return(int value) =>
    [
        new(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, value),
        new(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    ];

    private static void Patch(List<BpfInsn> p, int at, int target)
    {
        int offset = target - (at + 1);
        if (offset > short.MaxValue)
            throw new SpecException($"linux.resources.devices: too many rules for one eBPF program (jump of {offset} instructions)");
        p[at] = p[at] with { Off = (short)offset };
    }
}
