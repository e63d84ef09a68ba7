namespace Berth.Engine.Options;

/// <summary>
/// One flag of `create`/`run`: its spellings, whether it stands alone (a boolean), its help, and
/// how a value lands in <see cref="RunOptions"/>. Values are checked as they are set, as docker's
/// flag types check them, and a bad one fails with pflag's wording:
/// invalid argument "12x" for "-m, --memory" flag: invalid suffix: 'x'.
/// </summary>
public sealed class RunFlag
{
    private readonly Action<RunOptions, string> _set;

    internal RunFlag(string name, string? shortName, bool isBool, string valueName, string description, Action<RunOptions, string> set, string[] aliases)
    {
        Name = name;
        ShortName = shortName;
        IsBool = isBool;
        ValueName = valueName;
        Description = description;
        Aliases = aliases;
        _set = set;
        var names = new List<string> { name };
        if (shortName is not null) names.Add(shortName);
        names.AddRange(aliases);
        Spec = new FlagSpec(names, isBool);
    }

    /// <summary>The long name, "--memory".</summary>
    public string Name { get; }
    /// <summary>"-m", or null.</summary>
    public string? ShortName { get; }
    /// <summary>Other long spellings docker keeps hidden ("--net", "--dns-opt").</summary>
    public IReadOnlyList<string> Aliases { get; }
    public bool IsBool { get; }
    /// <summary>The value's kind for help texts, as docker's help names it: bytes, duration, list, string…</summary>
    public string ValueName { get; }
    public string Description { get; }
    public FlagSpec Spec { get; }

    /// <summary>Sets one occurrence of the flag; a boolean takes "true" or "false" (or any strconv.ParseBool spelling).</summary>
    public void Set(RunOptions options, string value)
    {
        try
        {
            _set(options, value);
        }
        catch (FormatException e)
        {
            throw new FormatException($"invalid argument {GoText.Quote(value)} for {GoText.Quote(FlagSplitter.Display(Spec))} flag: {e.Message}", e);
        }
    }
}

/// <summary>
/// The flags of docker's `create` and `run` that berth maps onto ContainerConfig and HostConfig —
/// the single list from which the CLI builds its options, the splitter learns which flags take a
/// value, and values reach <see cref="RunOptions"/>.
/// </summary>
public static class RunFlagTable
{
    public static IReadOnlyList<RunFlag> All { get; } = Build();

    public static IReadOnlyList<FlagSpec> Specs { get; } = [.. All.Select(f => f.Spec)];

    /// <summary>The flag any of whose spellings is <paramref name="name"/>, or null.</summary>
    public static RunFlag? Find(string name) => All.FirstOrDefault(f => f.Spec.Names.Contains(name));

    private static RunFlag Value(string name, string? shortName, string valueName, string description, Action<RunOptions, string> set, params string[] aliases) =>
        new(name, shortName, false, valueName, description, set, aliases);

    private static RunFlag Bool(string name, string? shortName, string description, Action<RunOptions, bool> set) =>
        new(name, shortName, true, "", description, (o, v) => set(o, GoText.ParseBool(v)), []);

    private static int Int(string v) => (int)GoText.ParseInt(v, int.MinValue, int.MaxValue);

    private static RunFlag[] Build() =>
    [
        // General
        Bool("--interactive", "-i", "Keep STDIN open even if not attached", (o, b) => o.Interactive = b),
        Bool("--tty", "-t", "Allocate a pseudo-TTY", (o, b) => o.Tty = b),
        Value("--attach", "-a", "list", "Attach to STDIN, STDOUT or STDERR", (o, v) => o.Attach.Add(ParseAttach(v))),
        Bool("--rm", null, "Automatically remove the container and its associated anonymous volumes when it exits", (o, b) => o.AutoRemove = b),
        Value("--name", null, "string", "Assign a name to the container", (o, v) => o.Name = v),
        Value("--env", "-e", "list", "Set environment variables", (o, v) =>
        {
            if (KeyValueFlags.ParseEnv(v, o.LookupEnv) is { } e) o.Env.Add(e);
        }),
        Value("--env-file", null, "list", "Read in a file of environment variables", (o, v) => o.EnvFiles.Add(v)),
        Value("--workdir", "-w", "string", "Working directory inside the container", (o, v) => o.WorkingDir = v),
        Value("--user", "-u", "string", "Username or UID (format: <name|uid>[:<group|gid>])", (o, v) => o.User = v),
        Value("--entrypoint", null, "string", "Overwrite the default ENTRYPOINT of the image (\"\" clears it)", (o, v) => o.Entrypoint = v),
        Value("--hostname", "-h", "string", "Container host name", (o, v) => o.Hostname = v),
        Value("--domainname", null, "string", "Container NIS domain name", (o, v) => o.Domainname = v),
        Value("--label", "-l", "list", "Set meta data on a container", (o, v) => o.Labels.Add(KeyValueFlags.ParseLabel(v))),
        Value("--label-file", null, "list", "Read in a line delimited file of labels", (o, v) => o.LabelFiles.Add(v)),
        Bool("--init", null, "Run an init inside the container that forwards signals and reaps processes", (o, b) => o.Init = b),
        Value("--stop-signal", null, "string", "Signal to stop the container", (o, v) => o.StopSignal = v),
        Value("--stop-timeout", null, "int", "Timeout (in seconds) to stop a container", (o, v) => o.StopTimeout = Int(v)),
        Value("--restart", null, "string", "Restart policy to apply when a container exits (default \"no\")", (o, v) => o.Restart = v),
        Bool("--read-only", null, "Mount the container's root filesystem as read only", (o, b) => o.ReadOnly = b),
        Value("--platform", null, "string", "Set platform if server is multi-platform capable", (o, v) => o.Platform = v),
        Value("--pull", null, "string", "Pull image before running (\"always\", \"missing\", \"never\") (default \"missing\")", (o, v) => o.Pull = v),
        Value("--cidfile", null, "string", "Write the container ID to the file", (o, v) => o.CidFile = v),

        // Health-checking
        Value("--health-cmd", null, "string", "Command to run to check health", (o, v) => o.HealthCmd = v),
        Value("--health-interval", null, "duration", "Time between running the check (ms|s|m|h) (default 0s)", (o, v) => o.HealthInterval = Units.ParseDuration(v)),
        Value("--health-retries", null, "int", "Consecutive failures needed to report unhealthy", (o, v) => o.HealthRetries = Int(v)),
        Value("--health-timeout", null, "duration", "Maximum time to allow one check to run (ms|s|m|h) (default 0s)", (o, v) => o.HealthTimeout = Units.ParseDuration(v)),
        Value("--health-start-period", null, "duration", "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)", (o, v) => o.HealthStartPeriod = Units.ParseDuration(v)),
        Value("--health-start-interval", null, "duration", "Time between running the check during the start period (ms|s|m|h) (default 0s)", (o, v) => o.HealthStartInterval = Units.ParseDuration(v)),
        Bool("--no-healthcheck", null, "Disable any container-specified HEALTHCHECK", (o, b) => o.NoHealthcheck = b),

        // Storage
        Value("--volume", "-v", "list", "Bind mount a volume", (o, v) => o.Volumes.Add(v)),
        Value("--mount", null, "mount", "Attach a filesystem mount to the container", (o, v) => o.Mounts.Add(MountFlag.Parse(v, o.WorkingDirectory))),
        Value("--tmpfs", null, "list", "Mount a tmpfs directory", (o, v) => o.Tmpfs.Add(v)),

        // Network
        Value("--network", null, "network", "Connect a container to a network (none or host)", (o, v) => o.Networks.Add(v), "--net"),
        Value("--add-host", null, "list", "Add a custom host-to-IP mapping (host:ip)", (o, v) => o.ExtraHosts.Add(NetworkFlags.ParseExtraHost(v))),
        Value("--dns", null, "list", "Set custom DNS servers", (o, v) => o.Dns.Add(NetworkFlags.ParseDns(v))),
        Value("--dns-search", null, "list", "Set custom DNS search domains", (o, v) => o.DnsSearch.Add(NetworkFlags.ParseDnsSearch(v))),
        Value("--dns-option", null, "list", "Set DNS options", (o, v) => o.DnsOptions.Add(v), "--dns-opt"),
        Value("--expose", null, "list", "Expose a port or a range of ports", (o, v) => o.Expose.Add(v)),

        // Resources
        Value("--memory", "-m", "bytes", "Memory limit", (o, v) => o.Memory = Units.ParseBytes(v)),
        Value("--memory-swap", null, "bytes", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", (o, v) => o.MemorySwap = v == "-1" ? -1 : Units.ParseBytes(v)),
        Value("--memory-reservation", null, "bytes", "Memory soft limit", (o, v) => o.MemoryReservation = Units.ParseBytes(v)),
        Value("--memory-swappiness", null, "int", "Tune container memory swappiness (0 to 100) (default -1)", (o, v) => o.MemorySwappiness = GoText.ParseInt(v)),
        Value("--cpus", null, "decimal", "Number of CPUs", (o, v) => o.NanoCpus = Units.ParseCpus(v)),
        Value("--cpu-shares", "-c", "int", "CPU shares (relative weight)", (o, v) => o.CpuShares = GoText.ParseInt(v)),
        Value("--cpu-period", null, "int", "Limit CPU CFS (Completely Fair Scheduler) period", (o, v) => o.CpuPeriod = GoText.ParseInt(v)),
        Value("--cpu-quota", null, "int", "Limit CPU CFS (Completely Fair Scheduler) quota", (o, v) => o.CpuQuota = GoText.ParseInt(v)),
        Value("--cpuset-cpus", null, "string", "CPUs in which to allow execution (0-3, 0,1)", (o, v) => o.CpusetCpus = v),
        Value("--cpuset-mems", null, "string", "MEMs in which to allow execution (0-3, 0,1)", (o, v) => o.CpusetMems = v),
        Value("--pids-limit", null, "int", "Tune container pids limit (set -1 for unlimited)", (o, v) => o.PidsLimit = GoText.ParseInt(v)),
        Value("--blkio-weight", null, "uint16", "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)", (o, v) => o.BlkioWeight = (ushort)GoText.ParseUint(v, ushort.MaxValue)),
        Value("--device-read-bps", null, "list", "Limit read rate (bytes per second) from a device", (o, v) => o.DeviceReadBps.Add(DeviceFlags.ParseBps(v))),
        Value("--device-write-bps", null, "list", "Limit write rate (bytes per second) to a device", (o, v) => o.DeviceWriteBps.Add(DeviceFlags.ParseBps(v))),
        Value("--device-read-iops", null, "list", "Limit read rate (IO per second) from a device", (o, v) => o.DeviceReadIOps.Add(DeviceFlags.ParseIops(v))),
        Value("--device-write-iops", null, "list", "Limit write rate (IO per second) to a device", (o, v) => o.DeviceWriteIOps.Add(DeviceFlags.ParseIops(v))),
        Value("--ulimit", null, "ulimit", "Ulimit options", (o, v) =>
        {
            var u = UlimitFlag.Parse(v);
            o.Ulimits[u.Name] = u;
        }),
        Bool("--oom-kill-disable", null, "Disable OOM Killer", (o, b) => o.OomKillDisable = b),
        Value("--oom-score-adj", null, "int", "Tune host's OOM preferences (-1000 to 1000)", (o, v) => o.OomScoreAdj = Int(v)),
        Value("--shm-size", null, "bytes", "Size of /dev/shm", (o, v) => o.ShmSize = Units.ParseBytes(v)),
        Value("--cgroup-parent", null, "string", "Optional parent cgroup for the container", (o, v) => o.CgroupParent = v),

        // Security
        Value("--sysctl", null, "map", "Sysctl options", (o, v) =>
        {
            var (key, value) = KeyValueFlags.ParseSysctl(v);
            o.Sysctls[key] = value;
        }),
        Value("--cap-add", null, "list", "Add Linux capabilities", (o, v) => o.CapAdd.Add(v)),
        Value("--cap-drop", null, "list", "Drop Linux capabilities", (o, v) => o.CapDrop.Add(v)),
        Bool("--privileged", null, "Give extended privileges to this container", (o, b) => o.Privileged = b),
        Value("--security-opt", null, "list", "Security Options", (o, v) => o.SecurityOpt.Add(v)),
        Value("--device", null, "list", "Add a host device to the container", (o, v) => o.Devices.Add(v)),
        Value("--group-add", null, "list", "Add additional groups to join", (o, v) => o.GroupAdd.Add(v)),

        // Namespaces
        Value("--userns", null, "string", "User namespace to use (host, or auto)", (o, v) => o.Userns = v),
        Value("--cgroupns", null, "string", "Cgroup namespace to use (host|private)", (o, v) => o.Cgroupns = v),
        Value("--ipc", null, "string", "IPC mode to use", (o, v) => o.Ipc = v),
        Value("--pid", null, "string", "PID namespace to use", (o, v) => o.Pid = v),
        Value("--uts", null, "string", "UTS namespace to use (host|private)", (o, v) => o.Uts = v),

        // Logging
        Value("--log-driver", null, "string", "Logging driver for the container (json-file or none)", (o, v) => o.LogDriver = v),
        Value("--log-opt", null, "list", "Log driver options (max-size, max-file)", (o, v) => o.LogOpts.Add(v)),
    ];

    private static string ParseAttach(string value)
    {
        string s = value.ToLowerInvariant();
        return s is "stdin" or "stdout" or "stderr" ? s : throw new FormatException("valid streams are STDIN, STDOUT and STDERR");
    }
}
