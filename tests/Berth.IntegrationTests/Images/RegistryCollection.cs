using System.Diagnostics;

namespace Berth.IntegrationTests.Images;

/// <summary>
/// The registry tests: they start docker-registry processes and listen on 127.0.0.1. The collection
/// runs on its own (not beside the runtime collection, whose leak check looks at /tmp/berth-test-*),
/// and ends by checking that no registry, temp folder or config file of its tests is left.
/// </summary>
[CollectionDefinition("registry", DisableParallelization = true)]
public sealed class RegistryCollection : ICollectionFixture<RegistryLeakCheck>;

public sealed class RegistryLeakCheck : IDisposable
{
    public void Dispose()
    {
        var left = new List<string>();
        left.AddRange(Directory.GetDirectories(Path.GetTempPath(), RegistryServer.TempPrefix + "*").Select(d => "folder: " + d));
        foreach (var p in Process.GetProcessesByName("docker-registry"))
        {
            using (p)
            {
                try
                {
                    string cmd = File.ReadAllText($"/proc/{p.Id}/cmdline").Replace('\0', ' ');
                    if (cmd.Contains(RegistryServer.TempPrefix, StringComparison.Ordinal)) left.Add($"process {p.Id}: {cmd}");
                }
                catch (IOException) { }
            }
        }
        if (left.Count > 0) throw new InvalidOperationException("registry tests left behind:\n" + string.Join('\n', left));
    }
}

/// <summary>A registry test: skipped, with the reason, when docker-registry or htpasswd is not installed.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RegistryFactAttribute : FactAttribute
{
    public RegistryFactAttribute()
    {
        if (RegistryServer.Missing() is { } reason) Skip = reason;
    }
}

/// <summary>One registry per test class, started when the first test asks for it (not at all when all are skipped).</summary>
public abstract class RegistryFixture(RegistryAuth auth) : IDisposable
{
    private readonly Lazy<RegistryServer> _server = new(() => RegistryServer.Start(auth));
    public RegistryServer Server => _server.Value;

    public void Dispose()
    {
        if (_server.IsValueCreated) _server.Value.Dispose();
    }
}

public sealed class AnonymousRegistry() : RegistryFixture(RegistryAuth.Anonymous);
public sealed class BasicAuthRegistry() : RegistryFixture(RegistryAuth.Htpasswd);
public sealed class TokenAuthRegistry() : RegistryFixture(RegistryAuth.Token);
