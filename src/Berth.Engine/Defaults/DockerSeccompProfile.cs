using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Seccomp;

namespace Berth.Engine.Defaults;

/// <summary>
/// Docker's seccomp profiles, resolved into the OCI form the runtime compiles.
/// <para>
/// A Docker profile is an OCI <c>linux.seccomp</c> whose rules carry conditions: <c>includes</c>
/// (kept only if the container has all of <c>caps</c>, the host is one of <c>arches</c> and its
/// kernel is at least <c>minKernel</c>) and <c>excludes</c> (dropped if the container has any of
/// <c>caps</c>, the host is one of <c>arches</c> or its kernel is at least <c>minKernel</c>); and
/// an <c>archMap</c> from the native architecture to the ones it also runs. Resolving evaluates the
/// conditions for one container's bounding capabilities on this host (amd64) and leaves plain OCI
/// rules, in profile order.
/// </para>
/// A privileged container gets no filter at all in docker; that is the caller's decision.
/// </summary>
public static class DockerSeccompProfile
{
    // The host as docker's resolver names it: libseccomp's architecture name, and the OCI one.
    private const string NativeArch = "amd64";
    private const string NativeScmpArch = "SCMP_ARCH_X86_64";

    private const string ActAllow = "SCMP_ACT_ALLOW";
    private const string ActErrno = "SCMP_ACT_ERRNO";
    private const string CmpEqual = "SCMP_CMP_EQ";
    private const string CmpLessThan = "SCMP_CMP_LT";
    private const string CmpMaskedEqual = "SCMP_CMP_MASKED_EQ";

    private const uint MaxErrno = 0xffff; // SECCOMP_RET_DATA

    private static readonly HashSet<string> s_actions = new(StringComparer.Ordinal)
    {
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    };

    private static readonly HashSet<string> s_operators = new(StringComparer.Ordinal)
    {
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
        "SCMP_CMP_MASKED_EQ",
    };

    private static readonly HashSet<string> s_flags = new(StringComparer.Ordinal)
    {
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    };

    private static readonly Profile s_default = BuildDefault();

    private static readonly Lazy<Version?> s_runningKernel = new(ReadRunningKernel);

    /// <summary>
    /// The running kernel's "major.minor", from /proc/sys/kernel/osrelease; null when unreadable, in
    /// which case rules that need a minimum kernel are left out (the filter errs on the strict side).
    /// </summary>
    public static Version? RunningKernel => s_runningKernel.Value;

    /// <summary>Docker's default profile for a container with these bounding capabilities, on this host.</summary>
    public static LinuxSeccomp Default(IReadOnlyCollection<string> capabilities) => Default(capabilities, RunningKernel);

    /// <summary>Docker's default profile for a container with these bounding capabilities, on kernel <paramref name="kernel"/>.</summary>
    public static LinuxSeccomp Default(IReadOnlyCollection<string> capabilities, Version? kernel)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        return Resolve(s_default, capabilities, KernelVersion.From(kernel));
    }

    /// <summary>A Docker-format profile (<c>--security-opt seccomp=FILE</c>) resolved for these capabilities on this host.</summary>
    /// <exception cref="FormatException">The JSON is malformed or names an unknown action, operator, architecture or flag.</exception>
    public static LinuxSeccomp FromDockerProfile(ReadOnlySpan<byte> json, IReadOnlyCollection<string> capabilities)
        => FromDockerProfile(json, capabilities, RunningKernel);

    /// <summary>A Docker-format profile resolved for these capabilities on kernel <paramref name="kernel"/>.</summary>
    /// <exception cref="FormatException">The JSON is malformed or names an unknown action, operator, architecture or flag.</exception>
    public static LinuxSeccomp FromDockerProfile(ReadOnlySpan<byte> json, IReadOnlyCollection<string> capabilities, Version? kernel)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        DockerProfileJson? document;
        try
        {
            document = JsonSerializer.Deserialize(json, DockerSeccompJsonContext.Default.DockerProfileJson);
        }
        catch (JsonException e)
        {
            throw new FormatException(DescribeJsonError(e));
        }
        var profile = ToProfile(document ?? throw new FormatException("the profile is null, not an object"));
        return Resolve(profile, capabilities, KernelVersion.From(kernel));
    }

    /// <summary>
    /// "major.minor" of a kernel release string ("6.8.0-45-generic", "3.12-1-amd64"), ignoring the rest
    /// as docker does; null when it does not start that way.
    /// </summary>
    public static Version? ParseKernelRelease(string release)
    {
        ArgumentNullException.ThrowIfNull(release);
        var text = release.AsSpan().Trim();
        var dot = text.IndexOf('.');
        if (dot <= 0)
        {
            return null;
        }
        var minorText = text[(dot + 1)..];
        var minorLength = 0;
        while (minorLength < minorText.Length && char.IsAsciiDigit(minorText[minorLength]))
        {
            minorLength++;
        }
        return int.TryParse(text[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            && int.TryParse(minorText[..minorLength], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
                ? new Version(major, minor)
                : null;
    }

    // ---- The model both the default and loaded profiles resolve from ----

    private readonly record struct KernelVersion(int Kernel, int Major)
    {
        public static KernelVersion? From(Version? version) => version is null ? null : new(version.Major, version.Minor);

        public bool IsAtLeast(KernelVersion minimum)
            => Kernel > minimum.Kernel || (Kernel == minimum.Kernel && Major >= minimum.Major);
    }

    private readonly record struct ArgTest(uint Index, string Op, ulong Value, ulong ValueTwo = 0);

    private sealed record Filter(string[]? Caps = null, string[]? Arches = null, KernelVersion? MinKernel = null);

    private sealed record Rule(
        string[] Names, string Action, uint? ErrnoRet = null, ArgTest[]? Args = null,
        Filter? Includes = null, Filter? Excludes = null);

    private sealed record ArchEntry(string Architecture, string[] SubArchitectures);

    private sealed record Profile(
        string DefaultAction, uint? DefaultErrnoRet, string[]? Architectures, ArchEntry[]? ArchMap,
        Rule[] Rules, string[]? Flags = null, string? ListenerPath = null, string? ListenerMetadata = null);

    private static LinuxSeccomp Resolve(Profile profile, IReadOnlyCollection<string> capabilities, KernelVersion? kernel)
    {
        var caps = new HashSet<string>(capabilities, StringComparer.OrdinalIgnoreCase);
        var syscalls = new List<LinuxSyscall>();
        foreach (var rule in profile.Rules)
        {
            if (Applies(rule, caps, kernel))
            {
                syscalls.Add(new LinuxSyscall
                {
                    Names = [.. rule.Names],
                    Action = rule.Action,
                    ErrnoRet = rule.ErrnoRet,
                    Args = rule.Args is { Length: > 0 } args
                        ? [.. args.Select(a => new LinuxSeccompArg { Index = a.Index, Op = a.Op, Value = a.Value, ValueTwo = a.ValueTwo })]
                        : null,
                });
            }
        }

        return new LinuxSeccomp
        {
            DefaultAction = profile.DefaultAction,
            DefaultErrnoRet = profile.DefaultErrnoRet,
            Architectures = SelectArchitectures(profile),
            Flags = profile.Flags is { Length: > 0 } flags ? [.. flags] : null,
            ListenerPath = profile.ListenerPath,
            ListenerMetadata = profile.ListenerMetadata,
            Syscalls = syscalls,
        };
    }

    /// <summary>An excludes condition that holds drops the rule; every includes condition must hold to keep it.</summary>
    private static bool Applies(Rule rule, HashSet<string> caps, KernelVersion? kernel)
    {
        if (rule.Excludes is { } excludes)
        {
            if (excludes.Arches?.Contains(NativeArch) == true) return false;
            if (excludes.Caps?.Any(caps.Contains) == true) return false;
            if (excludes.MinKernel is { } newest && kernel?.IsAtLeast(newest) == true) return false;
        }
        if (rule.Includes is { } includes)
        {
            if (includes.Arches is { Length: > 0 } arches && !arches.Contains(NativeArch)) return false;
            if (includes.Caps?.All(caps.Contains) == false) return false;
            // An unknown kernel is taken as too old: the rules that need one only ever widen the filter.
            if (includes.MinKernel is { } oldest && kernel?.IsAtLeast(oldest) != true) return false;
        }
        return true;
    }

    /// <summary>The listed architectures, or the native entry of the archMap with its sub-architectures.</summary>
    private static List<string>? SelectArchitectures(Profile profile)
    {
        if (profile.Architectures is { Length: > 0 } listed)
        {
            return [.. listed];
        }
        var native = profile.ArchMap?.FirstOrDefault(entry => entry.Architecture == NativeScmpArch);
        return native is null ? null : [native.Architecture, .. native.SubArchitectures];
    }

    // ---- Docker's default profile (moby/profiles seccomp/default_linux.go) ----

    private static Profile BuildDefault()
    {
        // Everything a container may call whatever its capabilities.
        var baseline = Words("""
            accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
            clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
            clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat
            dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2
            epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit exit_group
            faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2
            fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr
            fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64
            futex futex_requeue futex_time64 futex_wait futex_waitv futex_wake futimesat
            getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32
            getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom
            getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid
            getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr getxattrat
            inotify_add_watch inotify_init inotify_init1 inotify_rm_watch
            io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set
            io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self
            lchown lchown32 lgetxattr link linkat listen listmount listxattr listxattrat llistxattr _llseek
            lremovexattr lseek lsetxattr lstat lstat64
            madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat
            mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
            mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap mseal
            msgctl msgget msgrcv msgsnd msync munlock munlockall munmap
            name_to_handle_at nanosleep newfstatat _newselect open openat openat2
            pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll
            ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64
            pwrite64 pwritev pwritev2
            read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg
            remap_file_pages removexattr removexattrat rename renameat renameat2 restart_syscall
            riscv_hwprobe rmdir rseq
            rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
            rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
            sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
            sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity
            sched_setattr sched_setparam sched_setscheduler sched_yield
            seccomp select semctl semget semop semtimedop semtimedop_time64
            send sendfile sendfile64 sendmmsg sendmsg sendto
            setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid
            setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32
            setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32
            setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4
            sigprocmask sigreturn socketcall socketpair splice
            stat stat64 statfs statfs64 statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo
            tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64
            timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64
            timerfd_settime timerfd_settime64 times tkill truncate truncate64
            ugetrlimit umask uname unlink unlinkat uretprobe utime utimensat utimensat_time64 utimes
            vfork vmsplice wait4 waitid waitpid write writev
            """);

        // The namespace flags of clone(2): creating namespaces takes CAP_SYS_ADMIN.
        const ulong namespaceFlags = Libc.CLONE_NEWNS | Libc.CLONE_NEWUTS | Libc.CLONE_NEWIPC | Libc.CLONE_NEWUSER
            | Libc.CLONE_NEWPID | Libc.CLONE_NEWNET | Libc.CLONE_NEWCGROUP;

        var rules = new List<Rule>
        {
            new(baseline, ActAllow),
            // Since 4.8 seccomp runs again after a tracer changes the syscall, so ptrace cannot escape the filter.
            new(["process_vm_readv", "process_vm_writev", "ptrace"], ActAllow, Includes: new(MinKernel: new(4, 8))),
        };
        rules.AddRange(SocketRules());
        // personality(2) only for the Linux personality, its 32-bit form and the query (0xffffffff).
        foreach (var persona in new ulong[] { 0x0, 0x0008, 0x20000, 0x20008, 0xffffffff })
        {
            rules.Add(new(["personality"], ActAllow, Args: [new(0, CmpEqual, persona)]));
        }
        rules.AddRange(
        [
            new(["sync_file_range2", "swapcontext"], ActAllow, Includes: OnArches("ppc64le")),
            new(["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"],
                ActAllow, Includes: OnArches("arm", "arm64")),
            new(["arch_prctl"], ActAllow, Includes: OnArches("amd64", "x32")),
            new(["modify_ldt"], ActAllow, Includes: OnArches("amd64", "x32", "x86")),
            new(["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"], ActAllow, Includes: OnArches("s390", "s390x")),
            new(["riscv_flush_icache"], ActAllow, Includes: OnArches("riscv64")),
            new(["open_by_handle_at"], ActAllow, Includes: WithCap("CAP_DAC_READ_SEARCH")),
            new(Words("""
                bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie
                lsm_get_self_attr lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount open_tree
                perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog umount umount2 unshare
                """), ActAllow, Includes: WithCap("CAP_SYS_ADMIN")),
            // Without CAP_SYS_ADMIN clone may not create namespaces; s390 passes the flags second.
            new(["clone"], ActAllow, Args: [new(0, CmpMaskedEqual, namespaceFlags, 0)],
                Excludes: new(Caps: ["CAP_SYS_ADMIN"], Arches: ["s390", "s390x"])),
            new(["clone"], ActAllow, Args: [new(1, CmpMaskedEqual, namespaceFlags, 0)],
                Includes: OnArches("s390", "s390x"), Excludes: new(Caps: ["CAP_SYS_ADMIN"])),
            // clone3 passes its flags in memory a filter cannot read; ENOSYS makes libc fall back to clone.
            new(["clone3"], ActErrno, ErrnoRet: Errno.ENOSYS, Excludes: new(Caps: ["CAP_SYS_ADMIN"])),
            new(["reboot"], ActAllow, Includes: WithCap("CAP_SYS_BOOT")),
            new(["chroot"], ActAllow, Includes: WithCap("CAP_SYS_CHROOT")),
            new(["delete_module", "init_module", "finit_module"], ActAllow, Includes: WithCap("CAP_SYS_MODULE")),
            new(["acct"], ActAllow, Includes: WithCap("CAP_SYS_PACCT")),
            new(["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
                ActAllow, Includes: WithCap("CAP_SYS_PTRACE")),
            new(["iopl", "ioperm"], ActAllow, Includes: WithCap("CAP_SYS_RAWIO")),
            new(["settimeofday", "stime", "clock_settime", "clock_settime64"], ActAllow, Includes: WithCap("CAP_SYS_TIME")),
            new(["vhangup"], ActAllow, Includes: WithCap("CAP_SYS_TTY_CONFIG")),
            new(["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"], ActAllow, Includes: WithCap("CAP_SYS_NICE")),
            new(["syslog"], ActAllow, Includes: WithCap("CAP_SYSLOG")),
            new(["bpf"], ActAllow, Includes: WithCap("CAP_BPF")),
            new(["perf_event_open"], ActAllow, Includes: WithCap("CAP_PERFMON")),
        ]);

        ArchEntry[] archMap =
        [
            new("SCMP_ARCH_X86_64", ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
            new("SCMP_ARCH_AARCH64", ["SCMP_ARCH_ARM"]),
            new("SCMP_ARCH_MIPS64", ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"]),
            new("SCMP_ARCH_MIPS64N32", ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"]),
            new("SCMP_ARCH_MIPSEL64", ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"]),
            new("SCMP_ARCH_MIPSEL64N32", ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"]),
            new("SCMP_ARCH_S390X", ["SCMP_ARCH_S390"]),
            new("SCMP_ARCH_RISCV64", []),
            new("SCMP_ARCH_LOONGARCH64", []),
        ];

        return new Profile(ActErrno, Errno.EPERM, Architectures: null, archMap, [.. rules]);

        static Filter OnArches(params string[] arches) => new(Arches: arches);
        static Filter WithCap(string capability) => new(Caps: [capability]);
    }

    /// <summary>
    /// socket(2) for the address families a container may use. Left out: families the kernel no longer
    /// has (DECnet 12, Econet 19, ATM SVC 20, IrDA 23, WANPIPE 25, ISDN 34, CAIF 37), AF_ALG (38, the
    /// kernel crypto API: attack surface no ordinary container needs) and AF_VSOCK (40, by default
    /// global across network namespaces, so it would reach the host's VMs).
    /// </summary>
    private static IEnumerable<Rule> SocketRules()
    {
        ulong[] allowed =
        [
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,      // UNIX INET AX25 IPX APPLETALK NETROM BRIDGE ATMPVC X25 INET6 ROSE
            13, 14, 15, 16, 17, 18,                 // NETBEUI SECURITY KEY NETLINK PACKET ASH
            21, 22, 24,                             // RDS SNA PPPOX
            26, 27, 28, 29, 30, 31, 32, 33,         // LLC IB MPLS CAN TIPC BLUETOOTH IUCV RXRPC
            35, 36, 39,                             // PHONET IEEE802154 NFC
            41, 42, 43, 44, 45,                     // KCM QIPCRTR SMC XDP MCTP
        ];

        // The compiler (like runc) ORs two tests of one argument, so a bounded range cannot be one rule;
        // the run starting at AF_UNIX can, as "domain < end" (AF_UNSPEC, 0, creates no socket).
        var run = 0;
        while (run < allowed.Length && allowed[run] == 1 + (ulong)run)
        {
            run++;
        }
        if (run > 1)
        {
            yield return new(["socket"], ActAllow, Args: [new(0, CmpLessThan, allowed[run - 1] + 1)]);
        }
        else
        {
            run = 0;
        }
        foreach (var domain in allowed[run..])
        {
            yield return new(["socket"], ActAllow, Args: [new(0, CmpEqual, domain)]);
        }
    }

    private static string[] Words(string text)
        => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // ---- Loading a profile file ----

    private static Profile ToProfile(DockerProfileJson document)
    {
        var defaultAction = document.DefaultAction;
        if (string.IsNullOrEmpty(defaultAction))
        {
            // docker reads an empty profile as "no filter"; say so rather than guess.
            throw new FormatException("defaultAction: missing (use --security-opt seccomp=unconfined for no filter)");
        }
        CheckAction(defaultAction, "defaultAction");
        CheckErrno(document.DefaultErrnoRet, "defaultErrnoRet");

        var architectures = Strings(document.Architectures, "architectures");
        var archMap = ArchMap(document.ArchMap);
        if (architectures is { Length: > 0 } && archMap is { Length: > 0 })
        {
            throw new FormatException("architectures and archMap are both set; use one of them");
        }
        foreach (var (arch, i) in (architectures ?? []).Select((arch, i) => (arch, i)))
        {
            CheckArchitecture(arch, $"architectures[{i}]");
        }

        var flags = Strings(document.Flags, "flags");
        foreach (var (flag, i) in (flags ?? []).Select((flag, i) => (flag, i)))
        {
            if (!s_flags.Contains(flag))
            {
                throw new FormatException($"flags[{i}]: unknown flag \"{flag}\"");
            }
        }

        var rules = new Rule[document.Syscalls?.Count ?? 0];
        for (var i = 0; i < rules.Length; i++)
        {
            rules[i] = ToRule(document.Syscalls![i], $"syscalls[{i}]");
        }
        return new Profile(defaultAction, document.DefaultErrnoRet, architectures, archMap, rules, flags,
            document.ListenerPath, document.ListenerMetadata);
    }

    private static ArchEntry[]? ArchMap(List<DockerArchitectureJson?>? entries)
    {
        if (entries is null)
        {
            return null;
        }
        var result = new ArchEntry[entries.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var field = $"archMap[{i}]";
            var entry = entries[i] ?? throw new FormatException($"{field}: null");
            if (string.IsNullOrEmpty(entry.Architecture))
            {
                throw new FormatException($"{field}.architecture: missing");
            }
            CheckArchitecture(entry.Architecture, $"{field}.architecture");
            var subArchitectures = Strings(entry.SubArchitectures, $"{field}.subArchitectures") ?? [];
            for (var j = 0; j < subArchitectures.Length; j++)
            {
                CheckArchitecture(subArchitectures[j], $"{field}.subArchitectures[{j}]");
            }
            result[i] = new ArchEntry(entry.Architecture, subArchitectures);
        }
        return result;
    }

    private static Rule ToRule(DockerSyscallJson? syscall, string field)
    {
        if (syscall is null)
        {
            throw new FormatException($"{field}: null");
        }
        var names = Strings(syscall.Names, $"{field}.names") ?? [];
        if (!string.IsNullOrEmpty(syscall.Name))
        {
            if (names.Length > 0)
            {
                throw new FormatException($"{field}: both name and names are set; use one of them");
            }
            names = [syscall.Name];
        }

        if (string.IsNullOrEmpty(syscall.Action))
        {
            throw new FormatException($"{field}.action: missing");
        }
        CheckAction(syscall.Action, $"{field}.action");
        CheckErrno(syscall.ErrnoRet, $"{field}.errnoRet");

        ArgTest[]? args = null;
        if (syscall.Args is { } argList)
        {
            args = new ArgTest[argList.Count];
            for (var j = 0; j < args.Length; j++)
            {
                var argField = $"{field}.args[{j}]";
                var arg = argList[j] ?? throw new FormatException($"{argField}: null");
                if (arg.Index > 5)
                {
                    throw new FormatException($"{argField}.index: {arg.Index} is out of range, syscalls have 6 arguments (0-5)");
                }
                if (arg.Op is null || !s_operators.Contains(arg.Op))
                {
                    throw new FormatException($"{argField}.op: unknown operator \"{arg.Op}\"");
                }
                args[j] = new ArgTest(arg.Index, arg.Op, arg.Value, arg.ValueTwo);
            }
        }

        return new Rule(names, syscall.Action, syscall.ErrnoRet, args,
            ToFilter(syscall.Includes, $"{field}.includes"), ToFilter(syscall.Excludes, $"{field}.excludes"));
    }

    private static Filter? ToFilter(DockerFilterJson? filter, string field)
    {
        if (filter is null)
        {
            return null;
        }
        KernelVersion? minKernel = string.IsNullOrEmpty(filter.MinKernel) ? null : ParseMinKernel(filter.MinKernel, $"{field}.minKernel");
        return new Filter(Strings(filter.Caps, $"{field}.caps"), Strings(filter.Arches, $"{field}.arches"), minKernel);
    }

    /// <summary>docker's "&lt;kernel&gt;.&lt;major&gt;": two numbers up to 255, not 0.0.</summary>
    private static KernelVersion ParseMinKernel(string text, string field)
    {
        var parts = text.Split('.');
        if (parts.Length == 2
            && byte.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kernel)
            && byte.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            && (kernel, major) != (0, 0))
        {
            return new KernelVersion(kernel, major);
        }
        throw new FormatException($"{field}: invalid kernel version \"{text}\", expected \"<kernel>.<major>\" such as \"5.10\"");
    }

    private static string[]? Strings(List<string?>? values, string field)
    {
        if (values is null)
        {
            return null;
        }
        var result = new string[values.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = values[i] ?? throw new FormatException($"{field}[{i}]: null");
        }
        return result;
    }

    private static void CheckAction(string action, string field)
    {
        if (!s_actions.Contains(action))
        {
            throw new FormatException($"{field}: unknown action \"{action}\"");
        }
    }

    private static void CheckErrno(uint? errno, string field)
    {
        if (errno > MaxErrno)
        {
            throw new FormatException($"{field}: {errno} does not fit in the 16 bits seccomp returns");
        }
    }

    private static void CheckArchitecture(string arch, string field)
    {
        if (!SyscallTables.IsKnownArchitecture(arch))
        {
            throw new FormatException($"{field}: unknown architecture \"{arch}\"");
        }
    }

    /// <summary>One line: where in the document, and the reader's reason without its position suffix.</summary>
    private static string DescribeJsonError(JsonException e)
    {
        var reason = e.Message;
        foreach (var suffix in new[] { " Path:", " LineNumber:" })
        {
            var cut = reason.IndexOf(suffix, StringComparison.Ordinal);
            if (cut >= 0)
            {
                reason = reason[..cut];
            }
        }
        reason = reason.ReplaceLineEndings(" ").Trim().TrimEnd('.');
        var line = e.LineNumber is { } number ? $" at line {number + 1}" : "";
        var path = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" ({e.Path})";
        return $"invalid JSON{line}{path}: {reason}";
    }

    private static Version? ReadRunningKernel()
    {
        try
        {
            return ParseKernelRelease(File.ReadAllText("/proc/sys/kernel/osrelease"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

// ---- The profile file, as docker reads it (field names match case-insensitively, like Go's encoding/json) ----

internal sealed class DockerProfileJson
{
    [JsonPropertyName("defaultAction")] public string? DefaultAction { get; set; }
    [JsonPropertyName("defaultErrnoRet")] public uint? DefaultErrnoRet { get; set; }
    [JsonPropertyName("architectures")] public List<string?>? Architectures { get; set; }
    [JsonPropertyName("archMap")] public List<DockerArchitectureJson?>? ArchMap { get; set; }
    [JsonPropertyName("flags")] public List<string?>? Flags { get; set; }
    [JsonPropertyName("listenerPath")] public string? ListenerPath { get; set; }
    [JsonPropertyName("listenerMetadata")] public string? ListenerMetadata { get; set; }
    [JsonPropertyName("syscalls")] public List<DockerSyscallJson?>? Syscalls { get; set; }
}

internal sealed class DockerArchitectureJson
{
    [JsonPropertyName("architecture")] public string? Architecture { get; set; }
    [JsonPropertyName("subArchitectures")] public List<string?>? SubArchitectures { get; set; }
}

internal sealed class DockerSyscallJson
{
    /// <summary>The single-name form of older profiles.</summary>
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("names")] public List<string?>? Names { get; set; }
    [JsonPropertyName("action")] public string? Action { get; set; }
    [JsonPropertyName("errnoRet")] public uint? ErrnoRet { get; set; }
    [JsonPropertyName("args")] public List<DockerSeccompArgJson?>? Args { get; set; }
    [JsonPropertyName("includes")] public DockerFilterJson? Includes { get; set; }
    [JsonPropertyName("excludes")] public DockerFilterJson? Excludes { get; set; }
}

internal sealed class DockerSeccompArgJson
{
    [JsonPropertyName("index")] public uint Index { get; set; }
    [JsonPropertyName("value")] public ulong Value { get; set; }
    [JsonPropertyName("valueTwo")] public ulong ValueTwo { get; set; }
    [JsonPropertyName("op")] public string? Op { get; set; }
}

internal sealed class DockerFilterJson
{
    [JsonPropertyName("caps")] public List<string?>? Caps { get; set; }
    [JsonPropertyName("arches")] public List<string?>? Arches { get; set; }
    [JsonPropertyName("minKernel")] public string? MinKernel { get; set; }
}

// Source-generated: NativeAOT has no reflection-based System.Text.Json.
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(DockerProfileJson))]
internal sealed partial class DockerSeccompJsonContext : JsonSerializerContext;
