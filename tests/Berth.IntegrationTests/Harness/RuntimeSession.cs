namespace Berth.IntegrationTests.Harness;

/// <summary>
/// One test's view of the runtime: its own --root, unique container ids, and a Dispose that
/// force-deletes every container the test made, so no test leaves anything behind.
/// </summary>
public sealed class RuntimeSession : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("berth-test-state-").FullName;
    private readonly List<string> _ids = [];

    public string NewId(string prefix = "bt")
    {
        string id = $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";
        _ids.Add(id);
        return id;
    }

    public Result Runtime(params string[] args) => BerthBinary.Run(["runtime", "--root", Root, .. args]);

    public Result RuntimeWithInput(string stdin, params string[] args) => BerthBinary.Run(["runtime", "--root", Root, .. args], stdin);

    /// <summary>`run` a bundle in the foreground and return what it printed.</summary>
    public Result Run(Bundle bundle, string? id = null)
    {
        bundle.Write();
        return Runtime("run", "--bundle", bundle.Dir, id ?? NewId());
    }

    public string Create(Bundle bundle, string? id = null)
    {
        bundle.Write();
        id ??= NewId();
        Runtime("create", "--bundle", bundle.Dir, id).Ok();
        return id;
    }

    public string Status(string id) => System.Text.Json.JsonDocument.Parse(Runtime("state", id).Ok().Stdout).RootElement.GetProperty("status").GetString()!;

    public int Pid(string id) => System.Text.Json.JsonDocument.Parse(Runtime("state", id).Ok().Stdout).RootElement.GetProperty("pid").GetInt32();

    public void Dispose()
    {
        foreach (string id in _ids) Runtime("delete", "--force", id);
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
