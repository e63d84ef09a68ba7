using Berth.Runtime.Init;

namespace Berth.Init;

/// <summary>berth-init: `berth-init init` is a container's init stage, exec'd by the runtime in the container's namespaces.</summary>
public static class InitProgram
{
    public static int Main(string[] args)
    {
        Berth.Linux.StartupTrace.Mark("main");
        if (args is ["init"]) return InitStage.Run();
        Console.Error.WriteLine("berth-init: started by the berth runtime only (berth-init init)");
        return 2;
    }
}
