using System.Globalization;
using Berth.Engine.Containers;
using Berth.Engine.Model;
using Berth.Linux;

namespace Berth.Engine.Options;

/// <summary>
/// The values of `create`/`run` flags as given (each already checked on its own, see
/// <see cref="RunFlag.Set"/>), and <see cref="ToRequest"/>: the docker CLI's and daemon's
/// cross-checks, then the Engine API's Config and HostConfig.
/// <para>
/// A field is only written when its flag was given, so everything else keeps the model's default
/// (docker would, for example, send MemorySwappiness -1 or an empty LogConfig.Type, which its
/// daemon then turns into the same defaults). Deliberate differences from docker:
/// NetworkMode is "none" unless --network says host (bridge networking is not there yet);
/// `-e KEY` with KEY unset in the caller's environment is left out;
/// --entrypoint "" is an empty Entrypoint list (docker sends [""]) — null means the image's;
/// -v goes to HostConfig.Binds (bind mounts and named volumes, spec as given, "./x" made absolute)
/// and Config.Volumes (anonymous volumes), as the docker CLI sends them; --mount to HostConfig.Mounts.
/// </para>
/// </summary>
public sealed class RunOptions
{
    private const long MinimumMemory = 6 * 1024 * 1024;
    private const long MinimumHealthDuration = 1_000_000; // 1ms

    /// <param name="lookupEnv">The caller's environment, for -e KEY and bare keys of --env-file (the process's when null).</param>
    /// <param name="workingDirectory">Against which "./x" sources are made absolute (the process's when null).</param>
    public RunOptions(Func<string, string?>? lookupEnv = null, string? workingDirectory = null)
    {
        LookupEnv = lookupEnv ?? Environment.GetEnvironmentVariable;
        WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory;
    }

    public Func<string, string?> LookupEnv { get; }
    public string WorkingDirectory { get; }

    public bool Interactive { get; set; }
    public bool Tty { get; set; }
    public bool AutoRemove { get; set; }
    public bool ReadOnly { get; set; }
    public bool Privileged { get; set; }
    public bool NoHealthcheck { get; set; }
    public bool? Init { get; set; }
    public bool? OomKillDisable { get; set; }

    public List<string> Attach { get; } = [];
    public List<string> Env { get; } = [];
    public List<string> EnvFiles { get; } = [];
    public List<KeyValuePair<string, string>> Labels { get; } = [];
    public List<string> LabelFiles { get; } = [];
    public List<string> Volumes { get; } = [];
    public List<MountSpec> Mounts { get; } = [];
    public List<string> Tmpfs { get; } = [];
    public List<string> Networks { get; } = [];
    public List<string> ExtraHosts { get; } = [];
    public List<string> Dns { get; } = [];
    public List<string> DnsSearch { get; } = [];
    public List<string> DnsOptions { get; } = [];
    public List<string> Expose { get; } = [];
    public List<string> CapAdd { get; } = [];
    public List<string> CapDrop { get; } = [];
    public List<string> SecurityOpt { get; } = [];
    public List<string> Devices { get; } = [];
    public List<string> GroupAdd { get; } = [];
    public List<string> LogOpts { get; } = [];
    public List<ThrottleDevice> DeviceReadBps { get; } = [];
    public List<ThrottleDevice> DeviceWriteBps { get; } = [];
    public List<ThrottleDevice> DeviceReadIOps { get; } = [];
    public List<ThrottleDevice> DeviceWriteIOps { get; } = [];
    /// <summary>By name, the last --ulimit of a name wins; sorted by name, as docker sends them.</summary>
    public SortedDictionary<string, Ulimit> Ulimits { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Sysctls { get; } = [];

    public string? Name { get; set; }
    public string? WorkingDir { get; set; }
    public string? User { get; set; }
    public string? Entrypoint { get; set; }
    public string? Hostname { get; set; }
    public string? Domainname { get; set; }
    public string? StopSignal { get; set; }
    public string? Restart { get; set; }
    public string? HealthCmd { get; set; }
    public string? Userns { get; set; }
    public string? Cgroupns { get; set; }
    public string? Ipc { get; set; }
    public string? Pid { get; set; }
    public string? Uts { get; set; }
    public string? CgroupParent { get; set; }
    public string? LogDriver { get; set; }
    public string? CidFile { get; set; }
    public string? Platform { get; set; }
    public string? Pull { get; set; }
    public string? CpusetCpus { get; set; }
    public string? CpusetMems { get; set; }

    public int? StopTimeout { get; set; }
    public int? HealthRetries { get; set; }
    public int? OomScoreAdj { get; set; }
    /// <summary>Health durations in nanoseconds.</summary>
    public long? HealthInterval { get; set; }
    public long? HealthTimeout { get; set; }
    public long? HealthStartPeriod { get; set; }
    public long? HealthStartInterval { get; set; }
    public long? Memory { get; set; }
    public long? MemorySwap { get; set; }
    public long? MemoryReservation { get; set; }
    public long? MemorySwappiness { get; set; }
    public long? ShmSize { get; set; }
    public long? NanoCpus { get; set; }
    public long? CpuShares { get; set; }
    public long? CpuPeriod { get; set; }
    public long? CpuQuota { get; set; }
    public long? PidsLimit { get; set; }
    public ushort? BlkioWeight { get; set; }

    /// <summary>Sets one flag occurrence by any of its spellings; false when no run flag has that name.</summary>
    public bool TrySet(string flag, string value)
    {
        if (RunFlagTable.Find(flag) is not { } f) return false;
        f.Set(this, value);
        return true;
    }

    /// <summary>--pull, checked: always, missing (the default) or never.</summary>
    public string PullPolicy() => Pull switch
    {
        null or "" => "missing",
        "always" or "missing" or "never" => Pull,
        _ => throw new FormatException($"invalid pull option: '{Pull}': must be one of \"always\", \"missing\" or \"never\""),
    };

    /// <summary>The streams -a asked for (lower case, in order); empty when none was given.</summary>
    public IReadOnlyList<string> AttachStreams() => Attach;

    public ContainerRequest ToRequest(string image, IReadOnlyList<string> command)
    {
        if (MemorySwappiness is { } sw && sw != -1 && (sw < 0 || sw > 100))
            throw new FormatException($"invalid value: {sw}. Valid memory swappiness range is 0-100");

        var config = new ContainerConfig
        {
            Image = image,
            Cmd = command.Count > 0 ? [.. command] : null,
            Tty = Tty,
            OpenStdin = Interactive,
            AttachStdin = Interactive || Attach.Contains("stdin"),
            AttachStdout = Attach.Count == 0 || Attach.Contains("stdout"),
            AttachStderr = Attach.Count == 0 || Attach.Contains("stderr"),
        };
        config.StdinOnce = config.OpenStdin && config.AttachStdin;
        if (Hostname is not null) config.Hostname = Hostname;
        if (Domainname is not null) config.Domainname = Domainname;
        if (User is not null) config.User = User;
        if (WorkingDir is not null) config.WorkingDir = WorkingDir;
        if (Entrypoint is not null) config.Entrypoint = Entrypoint.Length == 0 ? [] : [Entrypoint];
        if (StopSignal is not null) config.StopSignal = StopSignal;
        if (StopTimeout is not null) config.StopTimeout = StopTimeout;

        var host = new HostConfig();
        ApplyVolumes(config, host);
        ApplyTmpfs(host);
        ApplyExpose(config);
        ApplyDevices(host);
        ApplyEnvAndLabels(config);
        ApplyNamespaces(host);
        if (Restart is not null) host.RestartPolicy = RestartFlag.Parse(Restart);
        ApplyLogging(host);
        ApplySecurity(host);
        config.Healthcheck = Healthcheck();
        ApplyResources(host);

        host.AutoRemove = AutoRemove;
        host.ReadonlyRootfs = ReadOnly;
        host.Privileged = Privileged;
        if (Init is not null) host.Init = Init;
        if (CidFile is not null) host.ContainerIDFile = CidFile;
        if (OomScoreAdj is not null) host.OomScoreAdj = OomScoreAdj.Value;
        if (ShmSize is not null) host.ShmSize = ShmSize.Value;
        if (Sysctls.Count > 0) host.Sysctls = new(Sysctls);
        if (GroupAdd.Count > 0) host.GroupAdd = [.. GroupAdd];
        if (ExtraHosts.Count > 0) host.ExtraHosts = [.. ExtraHosts];
        if (Dns.Count > 0) host.Dns = [.. Dns];
        if (DnsSearch.Count > 0) host.DnsSearch = [.. DnsSearch];
        if (DnsOptions.Count > 0) host.DnsOptions = [.. DnsOptions];
        if (CapAdd.Count > 0) host.CapAdd = [.. CapAdd];
        if (CapDrop.Count > 0) host.CapDrop = [.. CapDrop];
        if (Mounts.Count > 0) host.Mounts = [.. Mounts];

        if (AutoRemove && host.RestartPolicy.Name is not ("no" or ""))
            throw new FormatException("conflicting options: cannot specify both --restart and --rm");
        ApplyNetwork(host);
        CheckAsDaemon(config, host);

        return new ContainerRequest { Image = image, Name = Name, Config = config, HostConfig = host };
    }

    private void ApplyVolumes(ContainerConfig config, HostConfig host)
    {
        var binds = new List<string>();
        var anonymous = new Dictionary<string, EmptyObject>();
        foreach (string spec in Volumes.Distinct())
        {
            var m = VolumeSpec.Parse(spec, WorkingDirectory);
            if (m.Source.Length == 0)
            {
                anonymous[spec] = new EmptyObject();
                continue;
            }
            // The spec goes as written, except a "./x" source, which the daemon could not resolve.
            int colon = spec.IndexOf(':');
            binds.Add(m.Type == "bind" && spec.StartsWith('.') ? Path.GetFullPath(spec[..colon], WorkingDirectory) + spec[colon..] : spec);
        }
        if (binds.Count > 0) host.Binds = binds;
        if (anonymous.Count > 0) config.Volumes = anonymous;
    }

    private void ApplyTmpfs(HostConfig host)
    {
        if (Tmpfs.Count == 0) return;
        host.Tmpfs = [];
        foreach (string t in Tmpfs)
        {
            var (path, options) = TmpfsFlag.Parse(t);
            host.Tmpfs[path] = options;
        }
    }

    private void ApplyExpose(ContainerConfig config)
    {
        if (Expose.Count == 0) return;
        config.ExposedPorts = [];
        foreach (string e in Expose)
            foreach (string port in NetworkFlags.ParseExpose(e))
                config.ExposedPorts[port] = new EmptyObject();
    }

    private void ApplyDevices(HostConfig host)
    {
        if (Devices.Count > 0) host.Devices = [.. Devices.Select(DeviceFlags.ParseDevice)];
        if (DeviceReadBps.Count > 0) host.BlkioDeviceReadBps = [.. DeviceReadBps];
        if (DeviceWriteBps.Count > 0) host.BlkioDeviceWriteBps = [.. DeviceWriteBps];
        if (DeviceReadIOps.Count > 0) host.BlkioDeviceReadIOps = [.. DeviceReadIOps];
        if (DeviceWriteIOps.Count > 0) host.BlkioDeviceWriteIOps = [.. DeviceWriteIOps];
        if (Ulimits.Count > 0) host.Ulimits = [.. Ulimits.Values];
    }

    // Files first, then the flags, so that a flag overrides a file (docker's order).
    private void ApplyEnvAndLabels(ContainerConfig config)
    {
        var env = new List<string>();
        foreach (string file in EnvFiles) env.AddRange(KeyValueFlags.ReadEnvFile(file, LookupEnv));
        env.AddRange(Env);
        if (env.Count > 0) config.Env = env;

        var labels = new Dictionary<string, string>();
        foreach (string file in LabelFiles)
        {
            foreach (string line in KeyValueFlags.ReadLabelFile(file))
            {
                int eq = line.IndexOf('=');
                labels[line[..eq]] = line[(eq + 1)..];
            }
        }
        foreach (var (key, value) in Labels) labels[key] = value;
        if (labels.Count > 0) config.Labels = labels;
    }

    private void ApplyNamespaces(HostConfig host)
    {
        if (Pid is not null)
            host.PidMode = Pid is "" or "host" || IsContainerMode(Pid) ? Pid : throw new FormatException("--pid: invalid PID mode");
        if (Uts is not null)
            host.UTSMode = Uts is "" or "host" or "private" ? Uts : throw new FormatException("--uts: invalid UTS mode");
        if (Userns is not null)
            host.UsernsMode = Userns is "" or "host" or "auto" ? Userns : throw new FormatException("--userns: invalid USER mode");
        if (Cgroupns is not null)
            host.CgroupnsMode = Cgroupns is "" or "host" or "private" ? Cgroupns : throw new FormatException("--cgroupns: invalid CGROUP mode");
        if (Ipc is not null)
        {
            host.IpcMode = Ipc is "" or "none" or "private" or "host" or "shareable" || IsContainerMode(Ipc)
                ? Ipc
                : throw new FormatException($"invalid IPC mode: {Ipc}");
        }
        if (CgroupParent is not null) host.CgroupParent = CgroupParent;
    }

    private static bool IsContainerMode(string mode) =>
        mode.StartsWith("container:", StringComparison.Ordinal) && mode.Length > "container:".Length;

    private void ApplyLogging(HostConfig host)
    {
        if (LogDriver is not null)
        {
            if (LogDriver is not ("json-file" or "none"))
                throw new FormatException($"log driver \"{LogDriver}\" is not supported: berth has json-file and none");
            host.LogConfig.Type = LogDriver;
        }
        if (LogOpts.Count == 0) return;
        if (host.LogConfig.Type == "none") throw new FormatException("invalid logging opts for driver none");

        var options = new Dictionary<string, string>();
        foreach (string opt in LogOpts)
        {
            int eq = opt.IndexOf('=');
            options[eq < 0 ? opt : opt[..eq]] = eq < 0 ? "" : opt[(eq + 1)..];
        }
        foreach (var (key, value) in options)
        {
            switch (key)
            {
                case "max-size":
                    if (Units.ParseHumanSize(value) <= 0) throw new FormatException("max-size must be a positive number");
                    break;
                case "max-file":
                    if (!GoText.TryAtoi(value, out int files)) throw new FormatException($"strconv.Atoi: parsing {GoText.Quote(value)}: invalid syntax");
                    if (files < 1) throw new FormatException("max-file cannot be less than 1");
                    break;
                case "compress" or "labels" or "labels-regex" or "env" or "env-regex" or "tag":
                    throw new FormatException($"log opt '{key}' is not supported by berth's json-file log driver");
                default:
                    throw new FormatException($"unknown log opt '{key}' for json-file log driver");
            }
        }
        host.LogConfig.Config = options;
    }

    private void ApplySecurity(HostConfig host)
    {
        if (SecurityOpt.Count > 0)
        {
            var security = SecurityOpts.Parse(SecurityOpt);
            if (security.SecurityOpt.Count > 0) host.SecurityOpt = security.SecurityOpt;
            if (security.UnconfinedSystemPaths)
            {
                host.MaskedPaths = [];
                host.ReadonlyPaths = [];
            }
        }
        foreach (string cap in CapAdd.Concat(CapDrop))
        {
            string name = cap.Trim().ToUpperInvariant();
            if (name == "ALL") continue;
            if (!name.StartsWith("CAP_", StringComparison.Ordinal)) name = "CAP_" + name;
            if (!Capabilities.TryParse(name, out _)) throw new FormatException($"unknown capability: {GoText.Quote(name)}");
        }
    }

    private HealthConfig? Healthcheck()
    {
        bool any = HealthCmd is { Length: > 0 } || HealthInterval is not (null or 0) || HealthTimeout is not (null or 0)
            || HealthStartPeriod is not (null or 0) || HealthRetries is not (null or 0) || HealthStartInterval is not (null or 0);
        if (NoHealthcheck)
        {
            if (any) throw new FormatException("--no-healthcheck conflicts with --health-* options");
            return new HealthConfig { Test = ["NONE"] };
        }
        if (!any) return null;
        if (HealthInterval < 0) throw new FormatException("--health-interval cannot be negative");
        if (HealthTimeout < 0) throw new FormatException("--health-timeout cannot be negative");
        if (HealthRetries < 0) throw new FormatException("--health-retries cannot be negative");
        if (HealthStartPeriod < 0) throw new FormatException("--health-start-period cannot be negative");
        if (HealthStartInterval < 0) throw new FormatException("--health-start-interval cannot be negative");
        var health = new HealthConfig
        {
            Test = HealthCmd is { Length: > 0 } ? ["CMD-SHELL", HealthCmd] : null,
            Interval = HealthInterval ?? 0,
            Timeout = HealthTimeout ?? 0,
            StartPeriod = HealthStartPeriod ?? 0,
            StartInterval = HealthStartInterval ?? 0,
            Retries = HealthRetries ?? 0,
        };
        CheckMinimum(health.Interval, "Interval");
        CheckMinimum(health.Timeout, "Timeout");
        CheckMinimum(health.StartPeriod, "StartPeriod");
        CheckMinimum(health.StartInterval, "StartInterval");
        return health;
    }

    private static void CheckMinimum(long nanoseconds, string what)
    {
        if (nanoseconds != 0 && nanoseconds < MinimumHealthDuration)
            throw new FormatException($"{what} in Healthcheck cannot be less than 1ms");
    }

    // The daemon's resource checks (verifyPlatformContainerResources), in its order and words.
    private void ApplyResources(HostConfig host)
    {
        long memory = Memory ?? 0, swap = MemorySwap ?? 0, reservation = MemoryReservation ?? 0;
        if (memory != 0 && memory < MinimumMemory) throw new FormatException("Minimum memory limit allowed is 6MB");
        if (memory > 0 && swap > 0 && swap < memory) throw new FormatException("Minimum memoryswap limit should be larger than memory limit, see usage");
        if (memory == 0 && swap > 0) throw new FormatException("You should always set the Memory limit when using Memoryswap limit, see usage");
        if (reservation > 0 && reservation < MinimumMemory) throw new FormatException("Minimum memory reservation allowed is 6MB");
        if (memory > 0 && reservation > 0 && memory < reservation)
            throw new FormatException("Minimum memory limit can not be less than memory reservation limit, see usage");

        long nano = NanoCpus ?? 0, period = CpuPeriod ?? 0, quota = CpuQuota ?? 0;
        if (nano > 0 && period > 0) throw new FormatException("Conflicting options: Nano CPUs and CPU Period cannot both be set");
        if (nano > 0 && quota > 0) throw new FormatException("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
        int cpus = Environment.ProcessorCount;
        if (nano != 0 && (nano < 0 || nano > cpus * 1_000_000_000L))
            throw new FormatException($"range of CPUs is from 0.01 to {cpus}.00, as there are only {cpus} CPUs available");
        if (CpuShares < 0) throw new FormatException($"invalid CPU shares ({CpuShares}): value must be a positive integer");
        if (period != 0 && (period < 1000 || period > 1_000_000))
            throw new FormatException("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
        if (quota > 0 && quota < 1000) throw new FormatException("CPU cfs quota can not be less than 1ms (i.e. 1000)");
        if (CpusetCpus is not null) CheckCpuList(CpusetCpus, "cpus");
        if (CpusetMems is not null) CheckCpuList(CpusetMems, "mems");
        if (BlkioWeight is { } w && w > 0 && (w < 10 || w > 1000)) throw new FormatException("Range of blkio weight is from 10 to 1000");
        if (OomScoreAdj is { } adj && (adj < -1000 || adj > 1000))
            throw new FormatException($"Invalid value {adj}, range for oom score adj is [-1000, 1000]");

        if (Memory is not null) host.Memory = memory;
        if (MemorySwap is not null) host.MemorySwap = swap;
        if (MemoryReservation is not null) host.MemoryReservation = reservation;
        if (MemorySwappiness is { } sw && sw != -1) host.MemorySwappiness = sw;
        if (NanoCpus is not null) host.NanoCpus = nano;
        if (CpuShares is not null) host.CpuShares = CpuShares.Value;
        if (CpuPeriod is not null) host.CpuPeriod = period;
        if (CpuQuota is not null) host.CpuQuota = quota;
        if (CpusetCpus is not null) host.CpusetCpus = CpusetCpus;
        if (CpusetMems is not null) host.CpusetMems = CpusetMems;
        if (PidsLimit is not null) host.PidsLimit = PidsLimit;
        if (BlkioWeight is not null) host.BlkioWeight = BlkioWeight.Value;
        if (OomKillDisable is not null) host.OomKillDisable = OomKillDisable;
    }

    // "0-3,5": what the daemon's parsers.ParseUintList accepts (availability is the cgroup's to check).
    private static void CheckCpuList(string list, string what)
    {
        if (list.Length == 0) return;
        foreach (string part in list.Split(','))
        {
            int dash = part.IndexOf('-');
            bool ok = dash < 0
                ? uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out _)
                : uint.TryParse(part.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out uint lo)
                  && uint.TryParse(part.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out uint hi) && lo <= hi;
            if (!ok) throw new FormatException($"Invalid value {list} for cpuset {what}: invalid format: {list}");
        }
    }

    private void ApplyNetwork(HostConfig host)
    {
        if (Networks.Count == 0) return;
        string first = Networks[0];
        if (Networks.Count > 1)
        {
            string other = Networks[1];
            throw other == first
                ? new FormatException($"network {GoText.Quote(first)} is specified multiple times")
                : new FormatException($"conflicting options: cannot attach both to {first} and to {other}");
        }
        host.NetworkMode = first switch
        {
            "none" or "host" => first,
            "bridge" or "default" => throw new FormatException(
                $"--network {first}: bridge networking is not supported yet; use --network none or --network host"),
            _ when first.StartsWith("container:", StringComparison.Ordinal) => throw new FormatException(
                $"--network {first}: joining another container's network is not supported yet"),
            _ when first.Contains('=') => throw new FormatException($"--network {first}: per-network options are not supported"),
            "" => throw new FormatException("no name set for network"),
            _ => throw new FormatException($"network {first} not found"),
        };
    }

    // What the daemon checks when it creates the container.
    private void CheckAsDaemon(ContainerConfig config, HostConfig host)
    {
        if (Name is { Length: > 0 } name && !IsValidName(name))
            throw new FormatException($"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        if (config.WorkingDir.Length > 0 && !config.WorkingDir.StartsWith('/'))
            throw new FormatException($"the working directory '{config.WorkingDir}' is invalid, it needs to be an absolute path");
        if (config.StopSignal is not null) Signals.Parse(config.StopSignal);

        var destinations = new HashSet<string>(StringComparer.Ordinal);
        foreach (string bind in host.Binds ?? [])
        {
            string target = VolumeSpec.Parse(bind, WorkingDirectory).Target;
            if (!destinations.Add(target)) throw new FormatException($"Duplicate mount point: {target}");
        }
        foreach (var m in host.Mounts ?? [])
        {
            MountFlag.Validate(m);
            if (!destinations.Add(GoText.CleanPath(m.Target))) throw new FormatException($"Duplicate mount point: {m.Target}");
        }
    }

    private static bool IsValidName(string name)
    {
        string n = name.StartsWith('/') ? name[1..] : name;
        return n.Length >= 2 && char.IsAsciiLetterOrDigit(n[0]) && n.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
    }
}
