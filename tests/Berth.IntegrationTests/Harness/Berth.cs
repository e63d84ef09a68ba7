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

    /// <summary>
    /// Runs berth with stdout and stderr going to files, not pipes: a container made by `create`
    /// inherits them and lives on, and a pipe would keep the reader waiting for its end.
    /// </summary>
    public static Result Run(IEnumerable<string> args, string? stdin = null, int timeoutMs = 60_000, string? exe = null,
        IReadOnlyDictionary<string, string>? env = null)
    {
        string outFile = Path.GetTempFileName(), errFile = Path.GetTempFileName();
        try
        {
            var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
            foreach (string a in (string[])["-c", "exec \"$0\" \"$@\" >\"$BERTH_TEST_OUT\" 2>\"$BERTH_TEST_ERR\"", exe ?? PathToBinary]) psi.ArgumentList.Add(a);
            foreach (string a in args) psi.ArgumentList.Add(a);
            psi.Environment["BERTH_TEST_OUT"] = outFile;
            psi.Environment["BERTH_TEST_ERR"] = errFile;
            foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
            using var p = System.Diagnostics.Process.Start(psi)!;
            if (stdin is not null) p.StandardInput.Write(stdin);
            p.StandardInput.Close();
            if (!p.WaitForExit(timeoutMs))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"berth {string.Join(' ', args)} did not finish in {timeoutMs} ms");
            }
            return new Result(p.ExitCode, File.ReadAllText(outFile), File.ReadAllText(errFile));
        }
        finally
        {
            File.Delete(outFile);
            File.Delete(errFile);
        }
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
