using Berth.Oci;
using Berth.Runtime.Seccomp;
using static Berth.Runtime.Seccomp.SeccompAbi;

namespace Berth.UnitTests.Seccomp;

public sealed class SeccompCompilerTests
{
    private const uint Allow = SECCOMP_RET_ALLOW;
    private const uint Log = SECCOMP_RET_LOG;
    private const uint KillProcess = SECCOMP_RET_KILL_PROCESS;

    private static uint Errno(uint errno) => SECCOMP_RET_ERRNO | errno;

    private static LinuxSeccomp Profile(string defaultAction, params LinuxSyscall[] syscalls) =>
        new() { DefaultAction = defaultAction, Syscalls = [.. syscalls] };

    private static LinuxSyscall Rule(string action, params string[] names) => new() { Action = action, Names = [.. names] };

    private static LinuxSyscall Rule(string action, string name, params LinuxSeccompArg[] args) =>
        new() { Action = action, Names = [name], Args = [.. args] };

    private static LinuxSeccompArg Arg(uint index, string op, ulong value, ulong valueTwo = 0) =>
        new() { Index = index, Op = op, Value = value, ValueTwo = valueTwo };

    /// <summary>Runs the filter for syscall <paramref name="name"/> of <paramref name="table"/> (x86_64 if null).</summary>
    private static uint Decide(SeccompProgram program, string name, SyscallTable? table = null, params ulong[] args)
    {
        table ??= SyscallTables.X86_64;
        return BpfInterpreter.Run(program.Instructions, new SeccompData(table.Numbers[name], table.AuditArch, 0, args));
    }

    private static uint Run(SeccompProgram program, int nr, uint arch, params ulong[] args) =>
        BpfInterpreter.Run(program.Instructions, new SeccompData(nr, arch, 0, args));

    // ---- Actions ----

    [Fact]
    public void DefaultActionDecidesUnlistedSyscalls()
    {
        var profile = Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "read", "write"));
        profile.DefaultErrnoRet = 38;
        var program = SeccompCompiler.Compile(profile);

        Assert.Equal(Allow, Decide(program, "read"));
        Assert.Equal(Allow, Decide(program, "write"));
        Assert.Equal(Errno(38), Decide(program, "mkdir"));
        Assert.Equal(Errno(38), Run(program, 100_000, AUDIT_ARCH_X86_64));
    }

    [Fact]
    public void ErrnoUsesErrnoRetAndDefaultsToEperm()
    {
        var chmod = Rule("SCMP_ACT_ERRNO", "chmod");
        chmod.ErrnoRet = 13;
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW", Rule("SCMP_ACT_ERRNO", "mkdir"), chmod));

        Assert.Equal(Errno(1), Decide(program, "mkdir"));
        Assert.Equal(Errno(13), Decide(program, "chmod"));
        Assert.Equal(Allow, Decide(program, "read"));
    }

    [Theory]
    [InlineData("SCMP_ACT_KILL", -1, SECCOMP_RET_KILL_THREAD)]
    [InlineData("SCMP_ACT_KILL_THREAD", -1, SECCOMP_RET_KILL_THREAD)]
    [InlineData("SCMP_ACT_KILL_PROCESS", -1, SECCOMP_RET_KILL_PROCESS)]
    [InlineData("SCMP_ACT_TRAP", -1, SECCOMP_RET_TRAP)]
    [InlineData("SCMP_ACT_ERRNO", -1, SECCOMP_RET_ERRNO | 1)]
    [InlineData("SCMP_ACT_ERRNO", 0, SECCOMP_RET_ERRNO)]
    [InlineData("SCMP_ACT_ERRNO", 38, SECCOMP_RET_ERRNO | 38)]
    [InlineData("SCMP_ACT_TRACE", -1, SECCOMP_RET_TRACE | 1)]
    [InlineData("SCMP_ACT_TRACE", 0xffff, SECCOMP_RET_TRACE | 0xffff)]
    [InlineData("SCMP_ACT_ALLOW", -1, SECCOMP_RET_ALLOW)]
    [InlineData("SCMP_ACT_LOG", -1, SECCOMP_RET_LOG)]
    [InlineData("SCMP_ACT_NOTIFY", -1, SECCOMP_RET_USER_NOTIF)]
    public void ActionsMapToKernelReturnValues(string action, int errnoRet, uint expected)
    {
        var rule = Rule(action, "getpid");
        rule.ErrnoRet = errnoRet < 0 ? null : (uint)errnoRet;
        // The default must differ from every action under test, or the rule would be dropped as redundant.
        var profile = Profile("SCMP_ACT_ERRNO", rule);
        profile.DefaultErrnoRet = 4242;
        var program = SeccompCompiler.Compile(profile);

        Assert.Equal(expected, Decide(program, "getpid"));
        Assert.Equal(Errno(4242), Decide(program, "getppid"));
        Assert.Equal(action == "SCMP_ACT_NOTIFY", program.UsesNotify);
    }

    [Fact]
    public void DefaultActionCanBeAnyAction()
    {
        var kill = SeccompCompiler.Compile(Profile("SCMP_ACT_KILL_PROCESS", Rule("SCMP_ACT_ALLOW", "exit_group")));
        Assert.Equal(KillProcess, Decide(kill, "openat"));
        Assert.Equal(Allow, Decide(kill, "exit_group"));

        var trace = Profile("SCMP_ACT_TRACE");
        trace.DefaultErrnoRet = 7;
        Assert.Equal(SECCOMP_RET_TRACE | 7, Decide(SeccompCompiler.Compile(trace), "openat"));
    }

    [Fact]
    public void RuleWithTheDefaultActionIsDropped()
    {
        // libseccomp refuses such a rule and runc skips it, which lets the conditional ALLOW below take effect.
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ERRNO", "write"),
            Rule("SCMP_ACT_ALLOW", "write", Arg(0, "SCMP_CMP_EQ", 1))));

        Assert.Equal(Allow, Decide(program, "write", null, 1));
        Assert.Equal(Errno(1), Decide(program, "write", null, 2));
    }

    [Fact]
    public void ErrnoValuesMustDifferForARuleToBeKept()
    {
        var enosys = Rule("SCMP_ACT_ERRNO", "clone3");
        enosys.ErrnoRet = 38;
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", enosys));

        Assert.Equal(Errno(38), Decide(program, "clone3"));
        Assert.Equal(Errno(1), Decide(program, "clone"));
    }

    [Fact]
    public void NotifyIsReportedAndReturned()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW", Rule("SCMP_ACT_NOTIFY", "mknod", "mknodat")));

        Assert.True(program.UsesNotify);
        Assert.Equal(SECCOMP_RET_USER_NOTIF, Decide(program, "mknodat"));
        Assert.False(SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW", Rule("SCMP_ACT_LOG", "mknod"))).UsesNotify);
    }

    [Fact]
    public void FlagsMapToKernelBits()
    {
        var profile = Profile("SCMP_ACT_ALLOW");
        profile.Flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
            "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"];

        Assert.Equal(1u | 2u | 4u | 32u, SeccompCompiler.Compile(profile).Flags);
        Assert.Equal(0u, SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW")).Flags);
    }

    // ---- Argument conditions ----

    private static bool Holds(string op, ulong arg, ulong value, ulong valueTwo) => op switch
    {
        "SCMP_CMP_NE" => arg != value,
        "SCMP_CMP_LT" => arg < value,
        "SCMP_CMP_LE" => arg <= value,
        "SCMP_CMP_EQ" => arg == value,
        "SCMP_CMP_GE" => arg >= value,
        "SCMP_CMP_GT" => arg > value,
        "SCMP_CMP_MASKED_EQ" => (arg & value) == valueTwo,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    [Theory]
    [InlineData("SCMP_CMP_NE")]
    [InlineData("SCMP_CMP_LT")]
    [InlineData("SCMP_CMP_LE")]
    [InlineData("SCMP_CMP_EQ")]
    [InlineData("SCMP_CMP_GE")]
    [InlineData("SCMP_CMP_GT")]
    public void ComparisonsAreUnsigned64Bit(string op)
    {
        const ulong value = 0x0000_0001_0000_0005;
        ulong[] args =
        [
            value,
            value - 1, value + 1,                            // low word differs
            0x0000_0000_0000_0005, 0x0000_0002_0000_0005,    // only the high word differs
            0x0000_0000_ffff_ffff, 0x0000_0002_0000_0000,    // high word decides against the low word
            0, ulong.MaxValue, 0x8000_0000_0000_0000,        // extremes: no signed comparison
        ];
        // Argument 3, so the offsets of the high and low words (16 + 8*3, +4) are exercised too.
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "mmap", Arg(3, op, value))));

        foreach (var arg in args)
        {
            var expected = Holds(op, arg, value, 0) ? Allow : Errno(1);
            var actual = Decide(program, "mmap", null, 0, 0, 0, arg, 0, 0);
            Assert.True(expected == actual, $"{op}: arg 0x{arg:x16} vs 0x{value:x16} gave 0x{actual:x8}");
        }
    }

    [Fact]
    public void ComparisonsAgainstValuesWithHighBitsSet()
    {
        const ulong value = 0xffff_ffff_0000_0000;
        foreach (var op in new[] { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT" })
        {
            var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "ioctl", Arg(1, op, value))));
            foreach (var arg in new ulong[] { value, value - 1, value + 1, 0, ulong.MaxValue, 0x0000_0000_ffff_ffff })
            {
                var expected = Holds(op, arg, value, 0) ? Allow : Errno(1);
                Assert.True(expected == Decide(program, "ioctl", null, 0, arg), $"{op}: arg 0x{arg:x16}");
            }
        }
    }

    [Fact]
    public void MaskedEqualMasksBothWordsAndComparesWithValueTwo()
    {
        const ulong mask = 0xff00_0000_0000_00ff, datum = 0x1200_0000_0000_0034;
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ALLOW", "clone", Arg(0, "SCMP_CMP_MASKED_EQ", mask, datum))));

        foreach (var arg in new ulong[] { 0x1234_5678_9abc_de34, 0x1200_0000_0000_0034, 0x1300_0000_0000_0034, 0x1200_0000_0000_0035, 0, ulong.MaxValue })
        {
            var expected = Holds("SCMP_CMP_MASKED_EQ", arg, mask, datum) ? Allow : Errno(1);
            Assert.True(expected == Decide(program, "clone", null, arg), $"arg 0x{arg:x16}");
        }
    }

    [Fact]
    public void DockerCloneRuleDeniesNamespaceFlags()
    {
        // From Docker's default profile: clone is allowed only without CLONE_NEW* flags.
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ALLOW", "clone", Arg(0, "SCMP_CMP_MASKED_EQ", 2114060288, 0))));

        Assert.Equal(Allow, Decide(program, "clone", null, 0x01200011)); // fork(): CLONE_CHILD_SETTID|CLEARTID|SIGCHLD
        Assert.Equal(Errno(1), Decide(program, "clone", null, 0x10000000)); // CLONE_NEWUSER
    }

    [Fact]
    public void ConditionsOfOneRuleAreAnded()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ALLOW", "socket", Arg(0, "SCMP_CMP_EQ", 16), Arg(2, "SCMP_CMP_EQ", 9))));

        Assert.Equal(Allow, Decide(program, "socket", null, 16, 3, 9));
        Assert.Equal(Errno(1), Decide(program, "socket", null, 16, 3, 0));
        Assert.Equal(Errno(1), Decide(program, "socket", null, 2, 3, 9));
    }

    [Fact]
    public void RulesForOneSyscallAreOredInProfileOrder()
    {
        var fallback = Rule("SCMP_ACT_ERRNO", "personality");
        fallback.ErrnoRet = 22;
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ALLOW", "personality", Arg(0, "SCMP_CMP_EQ", 0)),
            Rule("SCMP_ACT_LOG", "personality", Arg(0, "SCMP_CMP_GE", 8)),
            Rule("SCMP_ACT_ALLOW", "personality", Arg(0, "SCMP_CMP_EQ", 9)), // shadowed by the GE rule
            fallback,
            Rule("SCMP_ACT_ALLOW", "personality"))); // unreachable after the unconditional fallback

        Assert.Equal(Allow, Decide(program, "personality", null, 0));
        Assert.Equal(Log, Decide(program, "personality", null, 8));
        Assert.Equal(Log, Decide(program, "personality", null, 9));
        Assert.Equal(Errno(22), Decide(program, "personality", null, 5));
    }

    [Fact]
    public void ConditionalRuleFallsBackToTheDefault()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ALLOW", "personality", Arg(0, "SCMP_CMP_EQ", 0)),
            Rule("SCMP_ACT_ALLOW", "read")));

        Assert.Equal(Errno(1), Decide(program, "personality", null, 1));
        Assert.Equal(Allow, Decide(program, "read"));
    }

    [Fact]
    public void TwoConditionsOnOneArgumentAreOred()
    {
        // runc's rule: conditions repeating an index become separate rules.
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ALLOW", "personality", Arg(0, "SCMP_CMP_EQ", 0), Arg(0, "SCMP_CMP_EQ", 8))));

        Assert.Equal(Allow, Decide(program, "personality", null, 0));
        Assert.Equal(Allow, Decide(program, "personality", null, 8));
        Assert.Equal(Errno(1), Decide(program, "personality", null, 4));
    }

    [Fact]
    public void AllSixArgumentsCanBeTested()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "mmap",
            [.. Enumerable.Range(0, 6).Select(i => Arg((uint)i, "SCMP_CMP_EQ", 0x1_0000_0000UL * (ulong)i + (ulong)i))])));
        ulong[] args = [.. Enumerable.Range(0, 6).Select(i => 0x1_0000_0000UL * (ulong)i + (ulong)i)];

        Assert.Equal(Allow, Decide(program, "mmap", null, args));
        for (var i = 0; i < 6; i++)
        {
            var wrong = (ulong[])args.Clone();
            wrong[i] ^= 0x1_0000_0000;
            Assert.Equal(Errno(1), Decide(program, "mmap", null, wrong));
        }
    }

    [Fact]
    public void ThirtyTwoBitArchitecturesCompareOnlyTheLowWord()
    {
        var profile = Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "read", Arg(0, "SCMP_CMP_EQ", 0xffff_ffff_0000_0005)));
        profile.Architectures = ["SCMP_ARCH_X86", "SCMP_ARCH_X32"];
        var program = SeccompCompiler.Compile(profile);

        Assert.Equal(Allow, Decide(program, "read", SyscallTables.X86, 5));
        Assert.Equal(Allow, Decide(program, "read", SyscallTables.X32, 5));
        Assert.Equal(Errno(1), Decide(program, "read", SyscallTables.X86_64, 5));
        Assert.Equal(Allow, Decide(program, "read", SyscallTables.X86_64, 0xffff_ffff_0000_0005));
    }

    // ---- Architectures ----

    [Fact]
    public void UnlistedArchitectureIsKilled()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW"));

        Assert.Equal(Allow, Decide(program, "read"));
        Assert.Equal(KillProcess, Run(program, 3, AUDIT_ARCH_I386));
        Assert.Equal(KillProcess, Run(program, 63, AUDIT_ARCH_AARCH64));
        Assert.Equal(KillProcess, Run(program, 0, 0));
    }

    [Fact]
    public void ListedArchitecturesUseTheirOwnNumbers()
    {
        var profile = Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "read", "_llseek", "fstatat64", "newfstatat"));
        profile.Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"];
        var program = SeccompCompiler.Compile(profile);

        Assert.Equal(Allow, Run(program, 140, AUDIT_ARCH_I386));  // _llseek
        Assert.Equal(Allow, Run(program, 300, AUDIT_ARCH_I386));  // fstatat64
        Assert.Equal(Allow, Run(program, 3, AUDIT_ARCH_I386));    // read
        Assert.Equal(Errno(1), Run(program, 0, AUDIT_ARCH_I386)); // restart_syscall
        Assert.Equal(Errno(1), Run(program, 140, AUDIT_ARCH_X86_64)); // getpriority on x86_64
        Assert.Equal(Allow, Run(program, 262, AUDIT_ARCH_X86_64)); // newfstatat
        Assert.Empty(program.SkippedSyscalls);
    }

    [Fact]
    public void X32SyscallsAreKilledUnlessX32IsListed()
    {
        var profile = Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "read", "rt_sigaction"));
        var withoutX32 = SeccompCompiler.Compile(profile);
        Assert.Equal(Allow, Run(withoutX32, 0, AUDIT_ARCH_X86_64));
        Assert.Equal(KillProcess, Run(withoutX32, __X32_SYSCALL_BIT | 0, AUDIT_ARCH_X86_64));

        profile.Architectures = ["SCMP_ARCH_X32"];
        var withX32 = SeccompCompiler.Compile(profile);
        Assert.Equal(Allow, Run(withX32, 0, AUDIT_ARCH_X86_64));
        Assert.Equal(Allow, Run(withX32, 13, AUDIT_ARCH_X86_64));                      // x86_64 rt_sigaction
        Assert.Equal(Allow, Run(withX32, __X32_SYSCALL_BIT | 0, AUDIT_ARCH_X86_64));   // x32 read
        Assert.Equal(Allow, Run(withX32, __X32_SYSCALL_BIT | 512, AUDIT_ARCH_X86_64)); // x32 rt_sigaction
        Assert.Equal(Errno(1), Run(withX32, __X32_SYSCALL_BIT | 13, AUDIT_ARCH_X86_64)); // not an x32 syscall
        Assert.Equal(Errno(1), Run(withX32, 1, AUDIT_ARCH_X86_64));
    }

    [Fact]
    public void X32AsNativeArchitectureRejectsX86_64Numbers()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "read")), "SCMP_ARCH_X32");

        Assert.Equal(Allow, Run(program, __X32_SYSCALL_BIT | 0, AUDIT_ARCH_X86_64));
        Assert.Equal(KillProcess, Run(program, 0, AUDIT_ARCH_X86_64));
    }

    [Fact]
    public void Aarch64NativeUsesTheGenericTable()
    {
        var profile = Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "openat", "newfstatat", "open"));
        var program = SeccompCompiler.Compile(profile, "SCMP_ARCH_AARCH64");

        Assert.Equal(Allow, Run(program, 56, AUDIT_ARCH_AARCH64)); // openat
        Assert.Equal(Allow, Run(program, 79, AUDIT_ARCH_AARCH64)); // newfstatat
        Assert.Equal(Errno(1), Run(program, 2, AUDIT_ARCH_AARCH64));
        Assert.Equal(KillProcess, Run(program, 257, AUDIT_ARCH_X86_64));
        Assert.Equal(["open"], program.SkippedSyscalls);
    }

    [Fact]
    public void ArchitecturesWithoutATableAreAcceptedButNotFiltered()
    {
        var profile = Profile("SCMP_ACT_ALLOW");
        profile.Architectures = ["SCMP_ARCH_ARM", "SCMP_ARCH_S390X", "SCMP_ARCH_RISCV64"];
        var program = SeccompCompiler.Compile(profile, "SCMP_ARCH_AARCH64");

        Assert.Equal(Allow, Run(program, 63, AUDIT_ARCH_AARCH64));
        Assert.Equal(KillProcess, Run(program, 3, AUDIT_ARCH_ARM));
    }

    // ---- Names ----

    [Fact]
    public void UnknownSyscallNamesAreSkippedAndReported()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ALLOW", "read", "no_such_syscall", "socketcall", "no_such_syscall"),
            Rule("SCMP_ACT_ALLOW", "also_unknown", Arg(0, "SCMP_CMP_EQ", 1))));

        Assert.Equal(["no_such_syscall", "socketcall", "also_unknown"], program.SkippedSyscalls);
        Assert.Equal(Allow, Decide(program, "read"));
    }

    [Fact]
    public void NamesKnownOnAListedArchitectureAreNotReported()
    {
        var profile = Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "socketcall"));
        profile.Architectures = ["SCMP_ARCH_X86"];
        var program = SeccompCompiler.Compile(profile);

        Assert.Empty(program.SkippedSyscalls);
        Assert.Equal(Allow, Decide(program, "socketcall", SyscallTables.X86));
    }

    // ---- Long programs ----

    /// <summary>
    /// Every syscall of the x86 and x86_64 tables (over 500 names) on three architectures, with varied
    /// actions and every seventh syscall conditional, checked syscall by syscall: the jeq chains are
    /// longer than a conditional jump reaches, so this covers the chunking and the ja hops.
    /// </summary>
    [Fact]
    public void LongProfileDecidesEverySyscallRight()
    {
        var names = SyscallTables.X86_64.Numbers.Keys.Union(SyscallTables.X86.Numbers.Keys).Order(StringComparer.Ordinal).ToList();
        Assert.True(names.Count > 400);

        var expected = new Dictionary<string, (uint Action, bool Conditional, ulong Arg)>();
        var syscalls = new List<LinuxSyscall>();
        for (var i = 0; i < names.Count; i++)
        {
            var (action, value) = (i % 3) switch
            {
                0 => ("SCMP_ACT_ALLOW", Allow),
                1 => ("SCMP_ACT_LOG", Log),
                _ => ("SCMP_ACT_TRAP", SECCOMP_RET_TRAP),
            };
            var conditional = i % 7 == 0;
            var rule = conditional ? Rule(action, names[i], Arg(0, "SCMP_CMP_EQ", (ulong)i)) : Rule(action, names[i]);
            syscalls.Add(rule);
            expected[names[i]] = (value, conditional, (ulong)i);
        }
        var profile = Profile("SCMP_ACT_ERRNO", [.. syscalls]);
        profile.Architectures = ["SCMP_ARCH_X86", "SCMP_ARCH_X32"];
        var program = SeccompCompiler.Compile(profile);
        Assert.True(program.Instructions.Count > 1000, $"{program.Instructions.Count} instructions");

        foreach (var table in new[] { SyscallTables.X86_64, SyscallTables.X86, SyscallTables.X32 })
        {
            foreach (var (name, nr) in table.Numbers)
            {
                var (action, conditional, arg) = expected[name];
                var actual = Run(program, nr, table.AuditArch, arg);
                Assert.True(action == actual, $"{table} {name} ({nr}): 0x{actual:x8}");
                if (conditional)
                {
                    // Only the high word differs: a 64-bit ABI sees another value, a 32-bit one the same.
                    var high = Run(program, nr, table.AuditArch, arg | 0x1_0000_0000);
                    Assert.Equal(table.HasWideArguments ? Errno(1) : action, high);
                    Assert.Equal(Errno(1), Run(program, nr, table.AuditArch, arg + 1));
                }
            }
            Assert.Equal(Errno(1), Run(program, 5000, table.AuditArch));
        }
        Assert.Empty(program.SkippedSyscalls);
    }

    [Fact]
    public void AllowListLongerThanAJumpReachesDecidesEverySyscallRight()
    {
        // Like Docker's default profile: one ALLOW rule naming ~350 syscalls, more than one jt can span.
        var names = SyscallTables.X86_64.Numbers.Keys.Where(name => name != "ptrace").ToArray();
        Assert.True(names.Length > 256);
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", names)));

        Assert.All(names, name => Assert.Equal(Allow, Decide(program, name)));
        Assert.Equal(Errno(1), Decide(program, "ptrace"));
        Assert.Equal(Errno(1), Run(program, 999, AUDIT_ARCH_X86_64));
    }

    [Fact]
    public void ManyConditionalSyscallsStillLink()
    {
        var names = SyscallTables.X86_64.Numbers.Keys.Order(StringComparer.Ordinal).Take(200).ToList();
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            [.. names.Select(name => Rule("SCMP_ACT_ALLOW", name, Arg(1, "SCMP_CMP_LE", 10), Arg(2, "SCMP_CMP_MASKED_EQ", 0xf0, 0x10)))]));

        foreach (var name in names)
        {
            Assert.Equal(Allow, Decide(program, name, null, 0, 10, 0x1f));
            Assert.Equal(Errno(1), Decide(program, name, null, 0, 11, 0x1f));
            Assert.Equal(Errno(1), Decide(program, name, null, 0, 10, 0x2f));
        }
    }

    [Fact]
    public void ProgramsOverTheKernelLimitAreRejected()
    {
        var names = SyscallTables.X86_64.Numbers.Keys.ToList();
        var profile = Profile("SCMP_ACT_ERRNO", [.. names.Select(name => Rule("SCMP_ACT_ALLOW", name,
            Arg(0, "SCMP_CMP_EQ", 1), Arg(1, "SCMP_CMP_EQ", 2), Arg(2, "SCMP_CMP_EQ", 3)))]);
        profile.Architectures = ["SCMP_ARCH_X86", "SCMP_ARCH_X32"];

        var e = Assert.Throws<SpecException>(() => SeccompCompiler.Compile(profile));
        Assert.Contains("4096", e.Message);
    }

    // ---- Errors ----

    [Fact]
    public void UnknownActionNamesTheField()
    {
        var e = Assert.Throws<SpecException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ALLOW", "read"), Rule("SCMP_ACT_ALLOW", "write"), Rule("SCMP_ACT_ALLOW", "close"),
            Rule("SCMP_ACT_FOO", "open"))));
        Assert.Equal("linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"", e.Message);
    }

    public static TheoryData<string, Action<LinuxSeccomp>> BadProfiles => new()
    {
        { "linux.seccomp.defaultAction: unknown action \"\"", p => p.DefaultAction = "" },
        { "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action", p => p.DefaultAction = "SCMP_ACT_NOTIFY" },
        { "linux.seccomp.defaultErrnoRet: 65536 does not fit", p => p.DefaultErrnoRet = 65536 },
        { "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\"", p => p.Architectures = ["SCMP_ARCH_X86", "SCMP_ARCH_Z80"] },
        { "linux.seccomp.architectures[0]: unknown architecture \"x86_64\"", p => p.Architectures = ["x86_64"] },
        { "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"", p => p.Flags = ["SECCOMP_FILTER_FLAG_NEW_LISTENER"] },
        { "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_MASKED_NE\"",
            p => p.Syscalls![0].Args = [Arg(0, "SCMP_CMP_EQ", 1), Arg(1, "SCMP_CMP_MASKED_NE", 1)] },
        { "linux.seccomp.syscalls[0].args[0].index: 6 is out of range", p => p.Syscalls![0].Args = [Arg(6, "SCMP_CMP_EQ", 1)] },
        { "linux.seccomp.syscalls[0].errnoRet: 70000 does not fit", p => (p.Syscalls![0].Action, p.Syscalls[0].ErrnoRet) = ("SCMP_ACT_ERRNO", 70000) },
        { "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY cannot be used for the write syscall",
            p => (p.Syscalls![0].Action, p.Syscalls[0].Names) = ("SCMP_ACT_NOTIFY", ["read", "write"]) },
    };

    [Theory]
    [MemberData(nameof(BadProfiles))]
    public void BadProfilesAreRejectedWithTheField(string message, Action<LinuxSeccomp> spoil)
    {
        var profile = Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "read"));
        spoil(profile);

        var e = Assert.Throws<SpecException>(() => SeccompCompiler.Compile(profile));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void RedundantRulesAreStillValidated()
    {
        var profile = Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ERRNO", "read", Arg(9, "SCMP_CMP_EQ", 1)));
        Assert.Throws<SpecException>(() => SeccompCompiler.Compile(profile));
    }

    [Fact]
    public void NativeArchitectureMustHaveATable()
    {
        var profile = Profile("SCMP_ACT_ALLOW");
        Assert.Contains("SCMP_ARCH_RISCV64", Assert.Throws<SpecException>(() => SeccompCompiler.Compile(profile, "SCMP_ARCH_RISCV64")).Message);
        Assert.Throws<ArgumentException>(() => SeccompCompiler.Compile(profile, "amd64"));
    }

    // ---- Encoding ----

    [Fact]
    public void ProgramBytesAreTheSockFilterArray()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW"));
        var bytes = program.ToBytes();

        Assert.Equal(program.Instructions.Count * 8, bytes.Length);
        Assert.Equal(new byte[] { 0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00 }, bytes[..8]); // ld [4]
        var jeq = new SockFilter(BPF_JMP | BPF_JEQ | BPF_K, 1, 2, AUDIT_ARCH_X86_64);
        Assert.Equal(new byte[] { 0x15, 0x00, 0x01, 0x02, 0x3e, 0x00, 0x00, 0xc0 }, jeq.ToBytes());
        Assert.Equal("jeq #0xc000003e jt +1 jf +2", jeq.ToString());
    }

    [Fact]
    public void AuditArchConstantsMatchTheKernel()
    {
        Assert.Equal(0xC000003Eu, AUDIT_ARCH_X86_64);
        Assert.Equal(0x40000003u, AUDIT_ARCH_I386);
        Assert.Equal(0xC00000B7u, AUDIT_ARCH_AARCH64);
        Assert.Equal(0x40000028u, AUDIT_ARCH_ARM);
        Assert.Equal(AUDIT_ARCH_X86_64, SyscallTables.X32.AuditArch);
    }
}
