using System.CommandLine;
using Berth.Linux;
using Berth.Oci;
using Berth.Runtime;
using Berth.Runtime.Process;

namespace Berth.Cli.Runtime;

/// <summary>`berth runtime`: runc's command-line contract (global options, verbs, exit codes).</summary>
public static class RuntimeCli
{
    public static readonly Option<string> RootOption = new("--root")
    {
        Description = "root directory for storage of container state (tmpfs recommended)",
        DefaultValueFactory = _ => "/run/berth/runtime",
        Recursive = true,
    };
    public static readonly Option<string?> LogOption = new("--log") { Description = "log file path (default: stderr only)", Recursive = true };
    public static readonly Option<string> LogFormatOption = new("--log-format")
    {
        Description = "log format: text or json", DefaultValueFactory = _ => "text", Recursive = true,
    };
    public static readonly Option<bool> DebugOption = new("--debug") { Description = "debug output in the log", Recursive = true };
    // Accepted for compatibility with tools that pass them to runc: --criu and --rootless change
    // nothing here; --systemd-cgroup is refused, as there is no systemd driver yet.
    private static readonly Option<bool> SystemdCgroupOption = new("--systemd-cgroup") { Recursive = true, Hidden = true };
    private static readonly Option<string?> CriuOption = new("--criu") { Recursive = true, Hidden = true };
    private static readonly Option<string?> RootlessOption = new("--rootless") { Recursive = true, Hidden = true };

    private static readonly (string Name, Func<Command> Build)[] s_commands =
    [
        ("create", CreateCommand.Build), ("start", StartCommand.Build), ("run", RunCommand.Build), ("state", StateCommand.Build),
        ("kill", KillCommand.Build), ("delete", DeleteCommand.Build), ("list", ListCommand.Build),
        ("exec", ExecCommand.Build), ("ps", PsCommand.Build), ("pause", PauseCommand.Build), ("resume", ResumeCommand.Build),
        ("spec", SpecCommand.Build), ("features", FeaturesCommand.Build), ("update", UpdateCommand.Build), ("events", EventsCommand.Build),
    ];

    public static int Run(string[] args)
    {
        if (Environment.GetEnvironmentVariable("BERTH_DEBUG_ALLOC_PRESSURE") == "1") AllocationPressure.Start();
        var root = new RootCommand("berth runtime: an OCI runtime with runc's command-line contract")
        {
            RootOption, LogOption, LogFormatOption, DebugOption, SystemdCgroupOption, CriuOption, RootlessOption,
        };
        // Building a command costs start-up time on every container start: build only the one invoked
        // (all of them for help or an unknown verb, so that the parser can list or suggest them).
        string? verb = ExecCommand.VerbOf(args);
        if (verb == "ls") verb = "list";
        bool known = s_commands.Any(c => c.Name == verb);
        foreach (var (name, build) in s_commands)
            if (!known || name == verb) root.Subcommands.Add(build());
        args = ExecCommand.SeparateCommand(args);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) Console.Error.WriteLine($"berth runtime: {e.Message}");
            return 1;
        }
        return parsed.Invoke();
    }

    /// <summary>Runs a command body with runc's error convention (see <see cref="RuntimeGuard"/>).</summary>
    public static int Guard(ParseResult p, Func<ContainerRuntime, int> body) =>
        RuntimeGuard.Run(new RuntimeGuard.Globals(p.GetValue(RootOption)!, p.GetValue(LogOption), p.GetValue(LogFormatOption) ?? "text",
                p.GetValue(DebugOption), p.GetValue(SystemdCgroupOption)),
            p.CommandResult.Command.Name, p.Tokens.Select(t => t.Value), body);
}

/// <summary>
/// runc's error convention for a command body: one line on stderr (and in --log), exit 1. A class
/// of its own, without System.CommandLine objects, so that the fast path (<see cref="FastPath"/>)
/// never builds any.
/// </summary>
public static class RuntimeGuard
{
    /// <summary>The global options as a command body needs them, from either parser.</summary>
    public sealed record Globals(string Root, string? Log, string LogFormat, bool Debug, bool SystemdCgroup);

    public static int Run(Globals g, string verb, IEnumerable<string> tokens, Func<ContainerRuntime, int> body)
    {
        StartupTrace.Mark("cli: invoked");
        var log = new RuntimeLog(g.Log, g.LogFormat, g.Debug);
        if (log.Debugging) log.Debug($"{verb}: {string.Join(' ', tokens)}");
        try
        {
            if (g.SystemdCgroup) throw new RuntimeException("--systemd-cgroup: the systemd cgroup driver is not supported (cgroupfs only)");
            int code = body(new ContainerRuntime(g.Root));
            log.Debug($"{verb}: exit status {code}");
            return code;
        }
        catch (Exception e) when (e is RuntimeException or SpecException or SyscallException or SpawnException
                                      or IOException or UnauthorizedAccessException or ArgumentException)
        {
            log.Error(e.Message);
            return 1;
        }
    }
}

/// <summary>
/// BERTH_DEBUG_ALLOC_PRESSURE=1 (for the stress test): threads that allocate and collect without
/// pause while the runtime clones, to show that no child waits for a garbage collection.
/// </summary>
internal static class AllocationPressure
{
    public static void Start()
    {
        for (int t = 0; t < 2; t++)
        {
            new Thread(() =>
            {
                var keep = new List<byte[]>();
                for (long i = 0; ; i++)
                {
                    keep.Add(new byte[1024 + (int)(i % 8192)]);
                    if (keep.Count > 2000) keep.Clear();
                    if (i % 50_000 == 0) GC.Collect();
                }
            }) { IsBackground = true }.Start();
        }
    }
}
