using System.Diagnostics;
using System.Text.Json;
using Berth.Linux;
using Berth.Oci;
using Berth.Runtime.Process;

namespace Berth.Runtime;

/// <summary>
/// Runs OCI hooks: each gets the container state JSON on stdin, exactly its own env (nothing
/// inherited), argv as given (args[0] included), and is killed when its timeout passes.
/// </summary>
public static class Hooks
{
    /// <summary>Runs the hooks in order; the first failure throws (the caller decides whether that is fatal).</summary>
    public static void Run(IReadOnlyList<Hook>? hooks, State state, string phase)
    {
        if (hooks is null) return;
        byte[] stdin = JsonSerializer.SerializeToUtf8Bytes(state, OciJsonContext.Default.State);
        for (int i = 0; i < hooks.Count; i++)
        {
            Hook h = hooks[i];
            int code = RunOne(h, stdin, out bool timedOut);
            if (timedOut) throw new RuntimeException($"{phase} hook #{i} ({h.Path}): timed out after {h.Timeout} s");
            if (code != 0) throw new RuntimeException($"{phase} hook #{i} ({h.Path}): exited with status {code}");
        }
    }

    private static int RunOne(Hook h, byte[] stdin, out bool timedOut)
    {
        timedOut = false;
        var (readEnd, writeEnd) = Libc.Pipe();
        SpawnedChild child;
        try
        {
            child = Spawner.Spawn(new SpawnOptions
            {
                Path = h.Path,
                Args = h.Args is { Count: > 0 } a ? a : [h.Path],
                Env = h.Env ?? [],
                FdMap = [(readEnd, 0)],
            });
        }
        finally { Libc.close(readEnd); }
        try
        {
            child.WaitForExec(h.Path);
            try { Libc.WriteAll(writeEnd, stdin, "write hook stdin"); }
            catch (SyscallException e) when (e.Errno == 32) { /* EPIPE: the hook did not read its stdin */ }
        }
        catch
        {
            Libc.close(writeEnd);
            Libc.kill(child.Pid, Libc.SIGKILL);
            Libc.WaitForExit(child.Pid);
            throw;
        }
        Libc.close(writeEnd);
        return WaitWithTimeout(child.Pid, h.Timeout, out timedOut);
    }

    /// <summary>waitpid with an optional timeout in seconds; kills the child when it passes.</summary>
    public static unsafe int WaitWithTimeout(int pid, int? timeoutSeconds, out bool timedOut)
    {
        timedOut = false;
        if (timeoutSeconds is not > 0) return Libc.WaitForExit(pid);
        var clock = Stopwatch.StartNew();
        int delay = 1;
        while (true)
        {
            int status;
            int r = Libc.waitpid(pid, &status, Libc.WNOHANG);
            if (r == pid) return Libc.ExitCode(status);
            if (r < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != Errno.EINTR) Errno.Throw($"waitpid {pid}");
            if (clock.Elapsed.TotalSeconds >= timeoutSeconds)
            {
                timedOut = true;
                Libc.kill(pid, Libc.SIGKILL);
                return Libc.WaitForExit(pid);
            }
            Thread.Sleep(delay);
            delay = Math.Min(delay * 2, 50);
        }
    }
}
