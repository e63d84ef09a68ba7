using System.Runtime.InteropServices;
using Berth.Linux;

namespace Berth.Runtime.Process;

/// <summary>What to start through spawn.c.</summary>
public sealed class SpawnOptions
{
    public required string Path { get; init; }
    public required IReadOnlyList<string> Args { get; init; }
    public required IReadOnlyList<string> Env { get; init; }
    public ulong CloneFlags { get; init; }
    /// <summary>Open namespace fds to join, in order (a user namespace first).</summary>
    public IReadOnlyList<int> JoinFds { get; init; } = [];
    public bool NewTimeNamespace { get; init; }
    public string? TimeOffsets { get; init; }
    /// <summary>The child waits for one byte on this fd before its last steps; -1: no wait.</summary>
    public int GoFd { get; init; } = -1;
    public bool BecomeRoot { get; init; }
    /// <summary>(from, to) pairs moved into place in the child; the targets lose close-on-exec.</summary>
    public IReadOnlyList<(int From, int To)> FdMap { get; init; } = [];
    /// <summary>When set, the child runs the final container-process steps instead of a plain execve.</summary>
    public FinalSettings? Final { get; init; }
}

/// <summary>A child started by <see cref="Spawner"/>, before or after its execve.</summary>
public sealed class SpawnedChild(int pid, int reportFd) : IDisposable
{
    public int Pid { get; } = pid;
    private int _reportFd = reportFd;

    /// <summary>Blocks until the child executed its program (EOF on the report pipe) or failed a step.</summary>
    public unsafe void WaitForExec(string what)
    {
        BerthNative.Report report;
        nint n;
        while ((n = Libc.read(_reportFd, (byte*)&report, sizeof(BerthNative.Report))) < 0)
            if (Marshal.GetLastPInvokeError() != Errno.EINTR) Errno.Throw("read spawn report");
        Dispose();
        if (n == sizeof(BerthNative.Report) && report.Kind == 2)
            throw new SpawnException(report.A, report.B, what);
    }

    public void Dispose()
    {
        if (_reportFd >= 0) Libc.close(_reportFd);
        _reportFd = -1;
    }
}

public sealed class SpawnException(int step, int errno, string what)
    : Exception(Describe(step, errno, what))
{
    public int Step { get; } = step;
    public int Errno { get; } = errno;

    private static string Describe(int step, int errno, string what)
        => step == BerthNative.STEP_EXEC && errno == Linux.Errno.ENOENT
            ? $"exec: \"{what}\": executable file not found in $PATH"
            : $"{what}: {BerthNative.StepName(step)}: {Marshal.GetPInvokeErrorMessage(errno)}";
}

/// <summary>Managed front of spawn.c's berth_spawn (see its header comment for the contract).</summary>
public static unsafe class Spawner
{
    public static SpawnedChild Spawn(SpawnOptions o)
    {
        using var arena = new NativeArena();
        var req = new BerthNative.SpawnRequest
        {
            Path = arena.Utf8(o.Path),
            Argv = arena.Utf8Array(o.Args),
            Envp = arena.Utf8Array(o.Env),
            CloneFlags = o.CloneFlags,
            JoinCount = o.JoinFds.Count,
            JoinFds = arena.Array<int>(o.JoinFds.ToArray()),
            UnshareTime = o.NewTimeNamespace ? 1 : 0,
            TimeOffsets = arena.Utf8(o.TimeOffsets),
            GoFd = o.GoFd,
            BecomeRoot = o.BecomeRoot ? 1 : 0,
            FdMapCount = o.FdMap.Count,
            FdMap = arena.Array<int>(o.FdMap.SelectMany(p => new[] { p.From, p.To }).ToArray()),
            Final = o.Final is null ? null : o.Final.ToNative(arena),
        };
        int reportFd = -1, step = 0;
        int pid = BerthNative.berth_spawn(&req, &reportFd, &step);
        if (pid < 0) throw new SpawnException(step, Marshal.GetLastPInvokeError(), o.Args.Count > 0 ? o.Args[0] : o.Path);
        return new SpawnedChild(pid, reportFd);
    }

    /// <summary>Replaces the calling process (the init stage) with the container's program.</summary>
    public static void FinalExec(FinalSettings settings, string path, IReadOnlyList<string> args, IReadOnlyList<string> env)
    {
        using var arena = new NativeArena();
        BerthNative.Final* f = settings.ToNative(arena);
        int step = 0;
        BerthNative.berth_final_exec(f, arena.Utf8(path), arena.Utf8Array(args), arena.Utf8Array(env), &step);
        throw new SpawnException(step, Marshal.GetLastPInvokeError(), args.Count > 0 ? args[0] : path);
    }
}
