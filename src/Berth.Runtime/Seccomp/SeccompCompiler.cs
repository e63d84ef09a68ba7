using Berth.Oci;
using static Berth.Runtime.Seccomp.SeccompAbi;

namespace Berth.Runtime.Seccomp;

/// <summary>
/// Compiles an OCI <c>linux.seccomp</c> profile into a classic-BPF seccomp filter, with the semantics
/// runc gets from libseccomp:
/// <list type="bullet">
/// <item>The native architecture is always filtered, plus the listed ones Berth has a syscall table for.
/// A syscall from any other architecture (or an x32 syscall when x32 is not filtered) is answered with
/// <c>SECCOMP_RET_KILL_PROCESS</c>: libseccomp's default "bad arch" action is a kill too, and killing the
/// whole process leaves no half-dead thread group behind. Valid architectures without a table
/// (ARM, MIPS, ...) therefore get killed rather than filtered.</item>
/// <item>Syscall names an architecture does not know are left out for that architecture; names no
/// compiled architecture knows are reported in <see cref="SeccompProgram.SkippedSyscalls"/>.</item>
/// <item>Rules whose action equals the default action are dropped, as runc does.</item>
/// <item>The conditions of a rule are ANDed, except that a rule with two conditions on the same argument
/// becomes one rule per condition (ORed), which is runc's long-standing behaviour.</item>
/// <item>Several rules for one syscall are tried in profile order; the first that matches decides.</item>
/// <item>Arguments compare as unsigned 64-bit values; on 32-bit ABIs (x86, x32) only the low 32 bits,
/// like libseccomp.</item>
/// </list>
/// Shape of the program (classic BPF can only jump forwards, conditionally at most 255 instructions):
/// <code>
///     ld  [arch]
///     jeq #AUDIT_ARCH_a, 0, 1 ; ja arch_a       one pair per architecture, the native one first
///     ret #KILL_PROCESS                         an architecture the profile does not allow
/// arch_a:
///     ld  [nr]                                  (x86_64 and x32 are told apart by nr &gt;= 0x40000000)
///     jeq #nr1, ret_x, 0 ; ... ; jeq #nrN, 0, 1 ; ret_x: ret #ACTION
///                                               syscalls decided by one unconditional rule, grouped by
///                                               action in chunks of 256 so each jt reaches its ret
///     jeq #nr, 1, 0 ; ja next ; rule1 ; rule2 ; ret #DEFAULT ; next:
///                                               a syscall with argument conditions
///     ret #DEFAULT
/// </code>
/// </summary>
public static class SeccompCompiler
{
    private const uint EPERM = 1;

    // A jeq at position i of a chunk jumps to the ret after the chunk: jt = chunk length - 1 - i <= 255.
    private const int MaxChunk = 256;

    public static SeccompProgram Compile(LinuxSeccomp profile, string nativeArch = "SCMP_ARCH_X86_64")
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(nativeArch);

        var defaultAction = ParseAction(profile.DefaultAction, profile.DefaultErrnoRet,
            "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet");
        if (defaultAction == SECCOMP_RET_USER_NOTIF)
        {
            // Every syscall of the container, including the runtime's own last steps, would wait on a listener.
            throw new SpecException("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
        }
        var flags = ParseFlags(profile.Flags);
        var architectures = SelectArchitectures(profile.Architectures, nativeArch);
        var rules = ParseRules(profile.Syscalls, defaultAction);

        var skipped = rules
            .SelectMany(rule => rule.Names)
            .Where(name => !architectures.Any(table => table.TryGetNumber(name, out _)))
            .Distinct(StringComparer.Ordinal)
            .ToArray();

        var asm = new Assembler();
        EmitProgram(asm, architectures, rules, defaultAction);
        var instructions = asm.Link();
        if (instructions.Length > BPF_MAXINSNS)
        {
            throw new SpecException(
                $"linux.seccomp: the compiled filter has {instructions.Length} instructions, more than the kernel's limit of {BPF_MAXINSNS}");
        }

        var usesNotify = instructions.Any(i => i.Code == (BPF_RET | BPF_K) && i.K == SECCOMP_RET_USER_NOTIF);
        return new SeccompProgram(instructions, flags, usesNotify, skipped);
    }

    // ---- Parsing and validation ----

    private enum Op { NotEqual, LessThan, LessOrEqual, Equal, GreaterOrEqual, GreaterThan, MaskedEqual }

    /// <summary>One argument test. For <see cref="Op.MaskedEqual"/> Value is the mask and ValueTwo the datum.</summary>
    private readonly record struct Condition(uint Index, Op Op, ulong Value, ulong ValueTwo);

    private sealed class Rule(string[] names, uint action, Condition[] conditions)
    {
        public string[] Names { get; } = names;
        public uint Action { get; } = action;
        public Condition[] Conditions { get; } = conditions;
    }

    private static uint ParseAction(string? action, uint? errnoRet, string field, string errnoField)
    {
        uint Data(uint fallback)
        {
            var data = errnoRet ?? fallback;
            if (data > SECCOMP_RET_DATA)
            {
                throw new SpecException($"{errnoField}: {data} does not fit in the 16 bits of SECCOMP_RET_DATA");
            }
            return data;
        }

        return action switch
        {
            "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => SECCOMP_RET_KILL_THREAD,
            "SCMP_ACT_KILL_PROCESS" => SECCOMP_RET_KILL_PROCESS,
            "SCMP_ACT_TRAP" => SECCOMP_RET_TRAP,
            "SCMP_ACT_ERRNO" => SECCOMP_RET_ERRNO | Data(EPERM),
            // runc hands errnoRet to the tracer as the message, EPERM when unset.
            "SCMP_ACT_TRACE" => SECCOMP_RET_TRACE | Data(EPERM),
            "SCMP_ACT_ALLOW" => SECCOMP_RET_ALLOW,
            "SCMP_ACT_LOG" => SECCOMP_RET_LOG,
            "SCMP_ACT_NOTIFY" => SECCOMP_RET_USER_NOTIF,
            _ => throw new SpecException($"{field}: unknown action \"{action}\""),
        };
    }

    private static uint ParseFlags(List<string>? flags)
    {
        uint result = 0;
        for (var i = 0; i < (flags?.Count ?? 0); i++)
        {
            result |= flags![i] switch
            {
                "SECCOMP_FILTER_FLAG_TSYNC" => SECCOMP_FILTER_FLAG_TSYNC,
                "SECCOMP_FILTER_FLAG_LOG" => SECCOMP_FILTER_FLAG_LOG,
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => SECCOMP_FILTER_FLAG_SPEC_ALLOW,
                "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" => SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
                var flag => throw new SpecException($"linux.seccomp.flags[{i}]: unknown flag \"{flag}\""),
            };
        }
        return result;
    }

    /// <summary>The native architecture first (most syscalls come from it), then the listed ones with a table.</summary>
    private static List<SyscallTable> SelectArchitectures(List<string>? listed, string nativeArch)
    {
        if (!SyscallTables.IsKnownArchitecture(nativeArch))
        {
            throw new ArgumentException($"unknown architecture \"{nativeArch}\"", nameof(nativeArch));
        }
        var native = SyscallTables.Find(nativeArch)
            ?? throw new SpecException($"linux.seccomp: Berth has no syscall table for the native architecture {nativeArch}");

        var result = new List<SyscallTable> { native };
        for (var i = 0; i < (listed?.Count ?? 0); i++)
        {
            var name = listed![i];
            if (!SyscallTables.IsKnownArchitecture(name))
            {
                throw new SpecException($"linux.seccomp.architectures[{i}]: unknown architecture \"{name}\"");
            }
            if (SyscallTables.Find(name) is { } table && !result.Contains(table))
            {
                result.Add(table);
            }
        }
        return result;
    }

    private static List<Rule> ParseRules(List<LinuxSyscall>? syscalls, uint defaultAction)
    {
        var rules = new List<Rule>();
        for (var i = 0; i < (syscalls?.Count ?? 0); i++)
        {
            var field = $"linux.seccomp.syscalls[{i}]";
            var syscall = syscalls![i] ?? throw new SpecException($"{field}: null");
            var names = (syscall.Names ?? []).Where(name => !string.IsNullOrEmpty(name)).ToArray();
            var action = ParseAction(syscall.Action, syscall.ErrnoRet, $"{field}.action", $"{field}.errnoRet");
            var conditions = ParseConditions(syscall.Args, field);

            if (action == SECCOMP_RET_USER_NOTIF && names.Contains("write"))
            {
                // The runtime itself writes after the filter is loaded (to hand over the listener fd).
                throw new SpecException($"{field}.action: SCMP_ACT_NOTIFY cannot be used for the write syscall");
            }
            if (action == defaultAction)
            {
                continue;
            }

            var indexRepeats = conditions.GroupBy(c => c.Index).Any(g => g.Count() > 1);
            if (indexRepeats)
            {
                // runc: two conditions on one argument cannot both hold as an AND of equalities, so it adds
                // each condition as a rule of its own.
                rules.AddRange(conditions.Select(c => new Rule(names, action, [c])));
            }
            else
            {
                rules.Add(new Rule(names, action, conditions));
            }
        }
        return rules;
    }

    private static Condition[] ParseConditions(List<LinuxSeccompArg>? args, string field)
    {
        var conditions = new Condition[args?.Count ?? 0];
        for (var j = 0; j < conditions.Length; j++)
        {
            var argField = $"{field}.args[{j}]";
            var arg = args![j] ?? throw new SpecException($"{argField}: null");
            if (arg.Index > 5)
            {
                throw new SpecException($"{argField}.index: {arg.Index} is out of range, syscalls have 6 arguments (0-5)");
            }
            var op = arg.Op switch
            {
                "SCMP_CMP_NE" => Op.NotEqual,
                "SCMP_CMP_LT" => Op.LessThan,
                "SCMP_CMP_LE" => Op.LessOrEqual,
                "SCMP_CMP_EQ" => Op.Equal,
                "SCMP_CMP_GE" => Op.GreaterOrEqual,
                "SCMP_CMP_GT" => Op.GreaterThan,
                "SCMP_CMP_MASKED_EQ" => Op.MaskedEqual,
                _ => throw new SpecException($"{argField}.op: unknown operator \"{arg.Op}\""),
            };
            conditions[j] = new Condition(arg.Index, op, arg.Value, arg.ValueTwo);
        }
        return conditions;
    }

    // ---- Code generation ----

    private static void EmitProgram(Assembler asm, List<SyscallTable> architectures, List<Rule> rules, uint defaultAction)
    {
        // x86_64 and x32 share AUDIT_ARCH_X86_64, so dispatch on the audit value first.
        var byAuditArch = architectures.GroupBy(table => table.AuditArch).ToList();
        var entries = byAuditArch.Select(_ => new Label()).ToList();

        asm.Load(SeccompDataArchOffset);
        for (var i = 0; i < byAuditArch.Count; i++)
        {
            asm.FarJump(BPF_JEQ, byAuditArch[i].Key, entries[i]);
        }
        asm.Return(SECCOMP_RET_KILL_PROCESS);

        for (var i = 0; i < byAuditArch.Count; i++)
        {
            asm.Bind(entries[i]);
            asm.Load(SeccompDataNrOffset);
            var group = byAuditArch[i].ToList();
            if (byAuditArch[i].Key != AUDIT_ARCH_X86_64)
            {
                EmitArchitecture(asm, group[0], rules, defaultAction);
                continue;
            }

            // Unsigned nr >= 0x40000000 is x32 (as in libseccomp, so nr = -1 falls on the x32 side).
            var x86_64 = group.Contains(SyscallTables.X86_64);
            var x32 = group.Contains(SyscallTables.X32);
            if (x86_64 && x32)
            {
                var x32Entry = new Label();
                asm.FarJump(BPF_JGE, __X32_SYSCALL_BIT, x32Entry);
                EmitArchitecture(asm, SyscallTables.X86_64, rules, defaultAction);
                asm.Bind(x32Entry);
                EmitArchitecture(asm, SyscallTables.X32, rules, defaultAction);
            }
            else
            {
                var ours = new Label();
                asm.Jump(BPF_JGE, __X32_SYSCALL_BIT, jt: x32 ? ours : null, jf: x32 ? null : ours);
                asm.Return(SECCOMP_RET_KILL_PROCESS);
                asm.Bind(ours);
                EmitArchitecture(asm, group[0], rules, defaultAction);
            }
        }
    }

    /// <summary>Emits the dispatch on <c>nr</c> for one architecture. Expects A = nr; always ends in a ret.</summary>
    private static void EmitArchitecture(Assembler asm, SyscallTable table, List<Rule> rules, uint defaultAction)
    {
        // Syscall number → the rules that may decide it, in profile order.
        var byNumber = new Dictionary<int, List<Rule>>();
        var numbers = new List<int>();
        foreach (var rule in rules)
        {
            foreach (var name in rule.Names)
            {
                if (!table.TryGetNumber(name, out var nr))
                {
                    continue;
                }
                if (!byNumber.TryGetValue(nr, out var list))
                {
                    byNumber[nr] = list = [];
                    numbers.Add(nr);
                }
                // Nothing after an unconditional rule can match.
                var reachable = list.Count == 0 || list[^1].Conditions.Length > 0;
                if (reachable && !list.Contains(rule))
                {
                    list.Add(rule);
                }
            }
        }

        bool IsUnconditional(int nr) => byNumber[nr] is [{ Conditions.Length: 0 }];

        // Syscalls with one unconditional rule: a chain of jeq sharing one ret per action.
        foreach (var group in numbers.Where(IsUnconditional).GroupBy(nr => byNumber[nr][0].Action))
        {
            foreach (var chunk in group.Chunk(MaxChunk))
            {
                var decide = new Label();
                var notInChunk = new Label();
                for (var i = 0; i < chunk.Length - 1; i++)
                {
                    asm.Jump(BPF_JEQ, (uint)chunk[i], jt: decide, jf: null);
                }
                asm.Jump(BPF_JEQ, (uint)chunk[^1], jt: null, jf: notInChunk);
                asm.Bind(decide);
                asm.Return(group.Key);
                asm.Bind(notInChunk);
            }
        }

        // Syscalls with argument conditions: a block per syscall, jumped over with ja when nr differs.
        foreach (var nr in numbers.Where(nr => !IsUnconditional(nr)))
        {
            var next = new Label();
            asm.Jump(BPF_JEQ, (uint)nr, jt: Label.Skip1, jf: null);
            asm.JumpAlways(next);

            var fallsThrough = true;
            foreach (var rule in byNumber[nr])
            {
                var nextRule = new Label();
                foreach (var condition in rule.Conditions)
                {
                    EmitCondition(asm, condition, table.HasWideArguments, nextRule);
                }
                asm.Return(rule.Action);
                asm.Bind(nextRule);
                fallsThrough = rule.Conditions.Length > 0;
            }
            if (fallsThrough)
            {
                asm.Return(defaultAction);
            }
            asm.Bind(next);
        }

        asm.Return(defaultAction);
    }

    /// <summary>
    /// Emits one argument test that falls through when it holds and jumps to <paramref name="fail"/>
    /// otherwise. 64-bit values are compared high word first: it decides unless the high words are
    /// equal. seccomp_data is in host order, little endian on every architecture we have a table for,
    /// so the low word of args[i] is at 16 + 8i and the high word 4 bytes later.
    /// </summary>
    private static void EmitCondition(Assembler asm, Condition c, bool wide, Label fail)
    {
        var pass = new Label();
        var low = SeccompDataArgsOffset + 8 * c.Index;
        var high = low + 4;
        var (valueHigh, valueLow) = ((uint)(c.Value >> 32), (uint)c.Value);
        var (twoHigh, twoLow) = ((uint)(c.ValueTwo >> 32), (uint)c.ValueTwo);

        switch (c.Op)
        {
            case Op.Equal:
                if (wide)
                {
                    asm.Load(high);
                    asm.Jump(BPF_JEQ, valueHigh, jt: null, jf: fail);
                }
                asm.Load(low);
                asm.Jump(BPF_JEQ, valueLow, jt: null, jf: fail);
                break;

            case Op.NotEqual:
                if (wide)
                {
                    asm.Load(high);
                    asm.Jump(BPF_JEQ, valueHigh, jt: null, jf: pass);
                }
                asm.Load(low);
                asm.Jump(BPF_JEQ, valueLow, jt: fail, jf: null);
                break;

            case Op.GreaterThan:
            case Op.GreaterOrEqual:
                if (wide)
                {
                    asm.Load(high);
                    asm.Jump(BPF_JGT, valueHigh, jt: pass, jf: null);
                    asm.Jump(BPF_JEQ, valueHigh, jt: null, jf: fail);
                }
                asm.Load(low);
                asm.Jump(c.Op == Op.GreaterThan ? BPF_JGT : BPF_JGE, valueLow, jt: null, jf: fail);
                break;

            // a < v is !(a >= v) and a <= v is !(a > v): the same tests with the outcomes swapped.
            case Op.LessThan:
            case Op.LessOrEqual:
                if (wide)
                {
                    asm.Load(high);
                    asm.Jump(BPF_JGT, valueHigh, jt: fail, jf: null);
                    asm.Jump(BPF_JEQ, valueHigh, jt: null, jf: pass);
                }
                asm.Load(low);
                asm.Jump(c.Op == Op.LessThan ? BPF_JGE : BPF_JGT, valueLow, jt: fail, jf: null);
                break;

            case Op.MaskedEqual:
                if (wide)
                {
                    asm.Load(high);
                    asm.And(valueHigh);
                    asm.Jump(BPF_JEQ, twoHigh, jt: null, jf: fail);
                }
                asm.Load(low);
                asm.And(valueLow);
                asm.Jump(BPF_JEQ, twoLow, jt: null, jf: fail);
                break;
        }
        asm.Bind(pass);
    }

    // ---- A tiny assembler with forward labels ----

    /// <summary>A jump target, bound to an instruction index once the code before it is emitted.</summary>
    private sealed class Label
    {
        /// <summary>A target one instruction past the next one, without having to bind it.</summary>
        public static readonly Label Skip1 = new() { IsSkip1 = true };

        public int Position { get; set; } = -1;
        public bool IsSkip1 { get; private init; }
    }

    private sealed class Assembler
    {
        private readonly List<(SockFilter Instruction, Label? Jt, Label? Jf)> _code = [];

        public void Bind(Label label) => label.Position = _code.Count;

        public void Load(uint offset) => Emit(new(BPF_LD | BPF_W | BPF_ABS, 0, 0, offset));

        public void And(uint k) => Emit(new(BPF_ALU | BPF_AND | BPF_K, 0, 0, k));

        public void Return(uint action) => Emit(new(BPF_RET | BPF_K, 0, 0, action));

        /// <summary>A conditional jump on A; a null target means the next instruction.</summary>
        public void Jump(ushort op, uint k, Label? jt, Label? jf) =>
            _code.Add((new((ushort)(BPF_JMP | op | BPF_K), 0, 0, k), jt, jf));

        /// <summary>ja has a 32-bit offset; its target is kept in Jt.</summary>
        public void JumpAlways(Label target) => _code.Add((new(BPF_JMP | BPF_JA, 0, 0, 0), target, null));

        /// <summary>"if (A op k) goto target" for a target farther than a conditional jump reaches.</summary>
        public void FarJump(ushort op, uint k, Label target)
        {
            Jump(op, k, jt: null, jf: Label.Skip1);
            JumpAlways(target);
        }

        private void Emit(SockFilter instruction) => _code.Add((instruction, null, null));

        public SockFilter[] Link()
        {
            var result = new SockFilter[_code.Count];
            for (var i = 0; i < _code.Count; i++)
            {
                var (instruction, jt, jf) = _code[i];
                if (instruction.Code == (BPF_JMP | BPF_JA))
                {
                    result[i] = instruction with { K = (uint)Offset(i, jt) };
                }
                else
                {
                    result[i] = instruction with { Jt = ShortOffset(i, jt), Jf = ShortOffset(i, jf) };
                }
            }
            return result;
        }

        private static int Offset(int from, Label? target)
        {
            if (target is null)
            {
                return 0;
            }
            if (target.IsSkip1)
            {
                return 1;
            }
            var offset = target.Position - (from + 1);
            if (target.Position < 0 || offset < 0)
            {
                throw new InvalidOperationException($"seccomp compiler bug: instruction {from} jumps to an unbound or earlier label");
            }
            return offset;
        }

        private static byte ShortOffset(int from, Label? target)
        {
            var offset = Offset(from, target);
            if (offset > byte.MaxValue)
            {
                throw new InvalidOperationException($"seccomp compiler bug: instruction {from} jumps {offset} ahead, more than 255");
            }
            return (byte)offset;
        }
    }
}
