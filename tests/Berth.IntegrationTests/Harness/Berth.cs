using System.Diagnostics;

namespace Berth.IntegrationTests.Harness;

/// <summary>The berth binary under test (BERTH_BIN, else out/berth of this checkout) run as a user would.</summary>
public static class BerthBinary
{
    public static string PathToBinary { get; } = Locate();

    private static string Locate()
    {
        string? env = Environment.GetEnvironmentVariable("BERTH_BIN");
        if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
        string dir = AppContext.BaseDirectory;
        while (dir != "/" && !File.Exists(Path.Combine(dir, "Berth.slnx"))) dir = Path.GetDirectoryName(dir)!;
        string candidate = Path.Combine(dir, "out", "berth");
        if (!File.Exists(candidate)) throw new InvalidOperationException($"berth binary not found: run scripts/build.sh (looked at {candidate})");
        return candidate;
    }

    public static Result Run(IEnumerable<string> args, string? stdin = null, int timeoutMs = 60_000, string? exe = null)
    {
        var psi = new ProcessStartInfo(exe ?? PathToBinary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"berth {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}

public sealed record Result(int ExitCode, string Stdout, string Stderr)
{
    public Result Ok()
    {
        Assert.True(ExitCode == 0, $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}");
        return this;
    }

    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout}; stderr: {Stderr}";
}
