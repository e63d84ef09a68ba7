using Berth.IntegrationTests.Harness;

namespace Berth.IntegrationTests;

/// <summary>
/// DESIGN.md: a cloned copy of a managed process can hang waiting for a garbage collection. Berth
/// runs no managed code between clone and execve; this shows it on many starts while the runtime
/// allocates heavily on other threads (BERTH_DEBUG_ALLOC_PRESSURE).
/// </summary>
[Collection("runtime")]
public sealed class StressTests
{
    [Fact]
    public void TwoThousandStartsUnderAllocationPressureNeverHang()
    {
        int starts = int.TryParse(Environment.GetEnvironmentVariable("BERTH_STRESS_STARTS"), out int n) ? n : 2000;
        using var s = new RuntimeSession();
        using var b = new Bundle("true");
        b.Write();
        var env = new Dictionary<string, string> { ["BERTH_DEBUG_ALLOC_PRESSURE"] = "1" };
        int failures = 0;
        string? firstFailure = null;
        Parallel.For(0, starts, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var r = BerthBinary.Run(["runtime", "--root", s.Root, "run", "--bundle", b.Dir, $"stress-{i}"], timeoutMs: 20_000, env: env);
            if (r.ExitCode != 0)
            {
                Interlocked.Increment(ref failures);
                Interlocked.CompareExchange(ref firstFailure, r.ToString(), null);
            }
        });
        Assert.True(failures == 0, $"{failures} of {starts} starts failed; first: {firstFailure}");
        Assert.Empty(s.Runtime("list", "-q").Ok().Stdout.Trim());
    }
}
