using Berth.Cli.Runtime;
using Berth.Runtime.Init;

namespace Berth.Cli;

/// <summary>
/// The one berth executable, multi-call: `berth runtime …` (or the same binary called through a
/// symlink named berth-runtime) is the OCI runtime; `berth init` is a container's init stage;
/// `berth monitor` stays with a running container;
/// everything else is the engine's docker-compatible commands.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Berth.Linux.StartupTrace.Mark("main");
        // The init stage is on every container's start path: no command-line parsing for it.
        if (args is ["init"]) return InitStage.Run();
        // A container's monitor: lean, no command-line library, no console.
        if (args.Length > 0 && args[0] == "monitor") return Berth.Engine.Monitor.ContainerMonitor.Main(args);

        string invokedAs = Path.GetFileName(Environment.GetCommandLineArgs()[0]);
        if (invokedAs == "berth-runtime") return RunRuntime(args);
        if (args.Length > 0 && args[0] == "runtime") return RunRuntime(args[1..]);
        return TopLevel(args);
    }

    private static int RunRuntime(string[] args) => FastPath.TryRun(args, out int code) ? code : RuntimeCli.Run(args);

    private static int TopLevel(string[] args)
    {
        if (args is ["--version"] or ["version"])
        {
            Console.WriteLine($"berth version {Version}");
            return 0;
        }
        return Engine.EngineCli.Run(args);
    }

    public static string Version => typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
