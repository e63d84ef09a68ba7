using Berth.Cli.Runtime;
using Berth.Runtime.Init;

namespace Berth.Cli;

/// <summary>berth-runtime: `berth-runtime VERB …` is `berth runtime VERB …`; `berth-runtime init` is a container's init stage.</summary>
public static class RuntimeProgram
{
    public static int Main(string[] args)
    {
        Berth.Linux.StartupTrace.Mark("main");
        if (args is ["init"]) return InitStage.Run();
        if (args is ["--version"] or ["version"])
        {
            Console.WriteLine($"berth-runtime version {typeof(RuntimeProgram).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"}");
            return 0;
        }
        if (FastPath.TryRun(args, out int code)) return code;
        return RuntimeCli.Run(args);
    }
}
