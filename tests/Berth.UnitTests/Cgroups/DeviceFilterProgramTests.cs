using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Cgroups;

namespace Berth.UnitTests.Cgroups;

public sealed class DeviceFilterProgramTests
{
    private const int Block = Bpf.BPF_DEVCG_DEV_BLOCK, Char = Bpf.BPF_DEVCG_DEV_CHAR;
    private const int M = Bpf.BPF_DEVCG_ACC_MKNOD, R = Bpf.BPF_DEVCG_ACC_READ, W = Bpf.BPF_DEVCG_ACC_WRITE;

    private static LinuxDeviceCgroup Rule(bool allow, string? type, long? major, long? minor, string? access)
        => new() { Allow = allow, Type = type, Major = major, Minor = minor, Access = access };

    // Docker's default device rules (deny all, then the usual allow list).
    private static readonly List<LinuxDeviceCgroup> DockerDefaults =
    [
        Rule(false, null, null, null, "rwm"),
        Rule(true, "c", null, null, "m"),
        Rule(true, "b", null, null, "m"),
        Rule(true, "c", 1, 3, "rwm"),    // null
        Rule(true, "c", 1, 5, "rwm"),    // zero
        Rule(true, "c", 1, 7, "rwm"),    // full
        Rule(true, "c", 1, 8, "rwm"),    // random
        Rule(true, "c", 1, 9, "rwm"),    // urandom
        Rule(true, "c", 5, 0, "rwm"),    // tty
        Rule(true, "c", 5, 1, "rwm"),    // console
        Rule(true, "c", 5, 2, "rwm"),    // ptmx
        Rule(true, "c", 136, -1, "rwm"), // pts
        Rule(false, "c", 10, 200, "rwm"),
    ];

    [Fact]
    public void EncodesTheExpectedInstructions()
    {
        var program = DeviceFilterProgram.Compile([Rule(true, "c", 1, 3, "r")]);
        string[] expected =
        [
            // prologue: r2 = access_type, r3 = access, r2 = type, r4 = major, r5 = minor
            "61 12 0000 00000000", "bf 23 0000 00000000", "77 03 0000 10000000", "57 02 0000 ffff0000",
            "61 14 0400 00000000", "61 15 0800 00000000",
            // unknown access bits → deny
            "bf 36 0000 00000000", "57 06 0000 f8ffffff", "15 06 0200 00000000", "b7 00 0000 00000000", "95 00 0000 00000000",
            // mknod: not requested → skip; no rule has m → deny
            "bf 36 0000 00000000", "57 06 0000 01000000", "15 06 0200 00000000", "b7 00 0000 00000000", "95 00 0000 00000000",
            // read: c 1:3 → allow (ja to next bit), else deny
            "bf 36 0000 00000000", "57 06 0000 02000000", "15 06 0600 00000000",
            "55 02 0300 02000000", "55 04 0200 01000000", "55 05 0100 03000000", "05 00 0200 00000000",
            "b7 00 0000 00000000", "95 00 0000 00000000",
            // write: no rule → deny
            "bf 36 0000 00000000", "57 06 0000 04000000", "15 06 0200 00000000", "b7 00 0000 00000000", "95 00 0000 00000000",
            // allowed
            "b7 00 0000 01000000", "95 00 0000 00000000",
        ];
        Assert.Equal(expected, program.Select(Hex).ToArray());

        byte[] bytes = DeviceFilterProgram.CompileBytes([Rule(true, "c", 1, 3, "r")]);
        Assert.Equal(expected.Length * 8, bytes.Length);
        Assert.Equal(program, BpfInsn.Decode(bytes));
    }

    private static string Hex(BpfInsn i)
    {
        Span<byte> b = stackalloc byte[8];
        i.WriteTo(b);
        return $"{b[0]:x2} {b[1]:x2} {b[2]:x2}{b[3]:x2} {b[4]:x2}{b[5]:x2}{b[6]:x2}{b[7]:x2}";
    }

    [Fact]
    public void DockerDefaultRules()
    {
        var program = DeviceFilterProgram.Compile(DockerDefaults);
        BpfInterpreter.Verify(program);

        Assert.True(Run(program, Char, 1, 3, R | W));      // /dev/null
        Assert.True(Run(program, Char, 1, 9, R));          // /dev/urandom
        Assert.True(Run(program, Char, 136, 42, R | W));   // /dev/pts/42
        Assert.True(Run(program, Char, 99, 1, M));         // mknod of any char device
        Assert.True(Run(program, Block, 8, 0, M));         // mknod of any block device
        Assert.False(Run(program, Block, 8, 0, R));        // reading /dev/sda
        Assert.False(Run(program, Char, 10, 200, R | W));  // /dev/net/tun (explicitly denied)
        Assert.False(Run(program, Char, 10, 200, M));      // … including mknod, the later rule wins
        Assert.False(Run(program, Char, 1, 1, R));         // /dev/mem
        Assert.False(Run(program, Char, 1, 3, M | R | 8)); // unknown access bits are never allowed
    }

    [Fact]
    public void EmptyListDeniesEverything()
    {
        var program = DeviceFilterProgram.Compile(Array.Empty<LinuxDeviceCgroup>());
        BpfInterpreter.Verify(program);
        Assert.False(Run(program, Char, 1, 3, R));
        Assert.False(Run(program, Block, 1, 3, M));
    }

    [Fact]
    public void AllowAllThenDenyOne()
    {
        var program = DeviceFilterProgram.Compile([Rule(true, "a", null, null, "rwm"), Rule(false, "c", 1, 3, "w")]);
        BpfInterpreter.Verify(program);
        Assert.True(Run(program, Char, 1, 3, R));
        Assert.False(Run(program, Char, 1, 3, W));
        Assert.False(Run(program, Char, 1, 3, R | W));
        Assert.True(Run(program, Block, 8, 0, R | W | M));
    }

    [Fact]
    public void LaterResetWins()
    {
        var program = DeviceFilterProgram.Compile([Rule(true, "c", 1, 3, "rwm"), Rule(false, "a", -1, -1, "rwm")]);
        BpfInterpreter.Verify(program);
        Assert.False(Run(program, Char, 1, 3, R));
        // Nothing after the unconditional deny is emitted (the verifier refuses unreachable code).
        Assert.DoesNotContain(program, i => i.Code == (Bpf.BPF_JMP | Bpf.BPF_JNE | Bpf.BPF_K));
    }

    [Fact]
    public void SplitAccessRulesCombine()
    {
        var program = DeviceFilterProgram.Compile([Rule(true, "c", 1, 3, "r"), Rule(true, "c", 1, 3, "w")]);
        Assert.True(Run(program, Char, 1, 3, R | W));
        Assert.False(Run(program, Char, 1, 3, R | W | M));
    }

    [Fact]
    public void InvalidRulesAreSpecErrors()
        => Assert.StartsWith("linux.resources.devices[1].access", Assert.Throws<SpecException>(
            () => DeviceFilterProgram.Compile([Rule(true, "c", 1, 3, "r"), Rule(true, "c", 1, 3, "x")])).Message);

    /// <summary>Random rule lists against the reference model: per access bit, the last matching rule decides.</summary>
    [Fact]
    public void MatchesTheReferenceModelOnRandomRuleLists()
    {
        var random = new Random(20240601);
        string[] types = ["a", "b", "c", "c", "b"];
        long?[] majors = [null, 1, 8, -1];
        long?[] minors = [null, 3, 5, -1];
        string[] accesses = ["r", "w", "m", "rw", "rm", "wm", "rwm"];
        int checkedRequests = 0;
        for (int round = 0; round < 400; round++)
        {
            var rules = new List<LinuxDeviceCgroup>();
            int count = random.Next(0, 7);
            for (int i = 0; i < count; i++)
            {
                string type = types[random.Next(types.Length)];
                rules.Add(type == "a"
                    ? Rule(random.Next(2) == 0, "a", null, null, "rwm")
                    : Rule(random.Next(2) == 0, type, majors[random.Next(majors.Length)], minors[random.Next(minors.Length)], accesses[random.Next(accesses.Length)]));
            }
            var program = DeviceFilterProgram.Compile(rules);
            BpfInterpreter.Verify(program);
            var model = DeviceRule.FromList(rules);
            foreach (int type in (int[])[Block, Char])
            foreach (uint major in (uint[])[1, 8, 9])
            foreach (uint minor in (uint[])[3, 5, 7])
            for (int access = 1; access <= 7; access++)
            {
                bool expected = Reference(model, type, major, minor, access);
                Assert.True(expected == Run(program, type, major, minor, access),
                    $"rules [{string.Join("; ", model)}] request type {type} {major}:{minor} access {access}: expected {(expected ? "allow" : "deny")}");
                checkedRequests++;
            }
        }
        Assert.Equal(400 * 2 * 3 * 3 * 7, checkedRequests);
    }

    private static bool Reference(IReadOnlyList<DeviceRule> rules, int type, uint major, uint minor, int access)
    {
        foreach (int bit in (int[])[M, R, W])
        {
            if ((access & bit) == 0) continue;
            bool allowed = false;
            foreach (var rule in rules)
            {
                bool matches = (rule.Type == 'a' || (rule.Type == 'b' ? Block : Char) == type)
                    && (rule.Major is null || rule.Major == major)
                    && (rule.Minor is null || rule.Minor == minor)
                    && (rule.AccessBits & bit) != 0;
                if (matches) allowed = rule.Allow;
            }
            if (!allowed) return false;
        }
        return true;
    }

    private static bool Run(IReadOnlyList<BpfInsn> program, int type, uint major, uint minor, int access)
        => BpfInterpreter.Run(program, (uint)((access << 16) | type), major, minor) != 0;
}

/// <summary>A tiny eBPF interpreter for the instructions the device filter uses, with the checks of the
/// kernel verifier that matter here: jumps forward and in bounds, no unreachable instruction, r0 set before exit.</summary>
internal static class BpfInterpreter
{
    public static ulong Run(IReadOnlyList<BpfInsn> program, uint accessType, uint major, uint minor)
    {
        var reg = new ulong[11];
        uint[] ctx = [accessType, major, minor];
        for (int pc = 0, steps = 0; ; pc++, steps++)
        {
            Assert.InRange(pc, 0, program.Count - 1);
            Assert.True(steps < 100_000, "program does not terminate");
            var i = program[pc];
            switch (i.Code)
            {
                case Bpf.BPF_LDX | Bpf.BPF_MEM | Bpf.BPF_W:
                    Assert.Equal(Bpf.BPF_REG_1, i.Src);
                    Assert.True(i.Off % 4 == 0 && i.Off / 4 < ctx.Length, $"context read at {i.Off}");
                    reg[i.Dst] = ctx[i.Off / 4];
                    break;
                case Bpf.BPF_ALU64 | Bpf.BPF_MOV | Bpf.BPF_X: reg[i.Dst] = reg[i.Src]; break;
                case Bpf.BPF_ALU64 | Bpf.BPF_MOV | Bpf.BPF_K: reg[i.Dst] = (ulong)(long)i.Imm; break;
                case Bpf.BPF_ALU64 | Bpf.BPF_RSH | Bpf.BPF_K: reg[i.Dst] >>= i.Imm; break;
                case Bpf.BPF_ALU64 | Bpf.BPF_AND | Bpf.BPF_K: reg[i.Dst] &= (ulong)(long)i.Imm; break;
                case Bpf.BPF_JMP | Bpf.BPF_JEQ | Bpf.BPF_K: if (reg[i.Dst] == (ulong)(long)i.Imm) pc += i.Off; break;
                case Bpf.BPF_JMP | Bpf.BPF_JNE | Bpf.BPF_K: if (reg[i.Dst] != (ulong)(long)i.Imm) pc += i.Off; break;
                case Bpf.BPF_JMP | Bpf.BPF_JA: pc += i.Off; break;
                case Bpf.BPF_JMP | Bpf.BPF_EXIT: return reg[0];
                default: Assert.Fail($"unexpected instruction {i} at {pc}"); break;
            }
        }
    }

    public static void Verify(IReadOnlyList<BpfInsn> program)
    {
        var reachable = new bool[program.Count];
        var visited = new HashSet<(int Pc, bool R0)>();
        var work = new Stack<(int Pc, bool R0)>();
        work.Push((0, false));
        while (work.Count > 0)
        {
            var (pc, r0) = work.Pop();
            Assert.InRange(pc, 0, program.Count - 1);
            if (!visited.Add((pc, r0))) continue;
            reachable[pc] = true;
            var i = program[pc];
            int cls = i.Code & 0x07;
            if (i.Code == (Bpf.BPF_JMP | Bpf.BPF_EXIT))
            {
                Assert.True(r0, $"exit at {pc} with r0 unset");
                continue;
            }
            bool r0After = r0 || (i.Dst == Bpf.BPF_REG_0 && cls is Bpf.BPF_ALU64 or Bpf.BPF_LDX);
            if (cls == Bpf.BPF_JMP)
            {
                Assert.True(i.Off >= 0, $"backward jump at {pc}");
                work.Push((pc + 1 + i.Off, r0After));
                if (i.Code != (Bpf.BPF_JMP | Bpf.BPF_JA)) work.Push((pc + 1, r0After));
                continue;
            }
            work.Push((pc + 1, r0After));
        }
        int unreachable = Array.IndexOf(reachable, false);
        Assert.True(unreachable < 0, $"instruction {unreachable} is unreachable");
    }
}
