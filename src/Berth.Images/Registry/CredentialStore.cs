using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Images.Registry;

/// <summary>A user name and password for one registry.</summary>
public sealed record Credential(string Username, string Password)
{
    public override string ToString() => Username + ":***"; // never print the password
}

/// <summary>
/// Registry logins in docker's config.json: <c>{"auths":{"HOST":{"auth":"base64(user:password)"}}}</c>,
/// in $DOCKER_CONFIG/config.json or ~/.docker/config.json, so that berth and docker share logins.
/// Docker Hub's entry is "https://index.docker.io/v1/"; other registries are keyed "host[:port]", and
/// a key written with a scheme or path ("https://host/v1/") is found too, as docker finds it.
/// Everything else in the file (other registries, credsStore, proxies, …) is kept as it was: writes
/// change one entry of "auths", in a temp file renamed over the old one, mode 0600.
/// Credential helpers (credsStore, credHelpers) and identity tokens are not supported.
/// </summary>
public sealed class CredentialStore
{
    private readonly object _lock = new();
    private JsonObject _root;

    private CredentialStore(string path, JsonObject root)
    {
        Path = path;
        _root = root;
    }

    /// <summary>The config.json this store reads and writes.</summary>
    public string Path { get; }

    /// <summary>$DOCKER_CONFIG/config.json, else ~/.docker/config.json.</summary>
    public static string DefaultPath()
    {
        string? dir = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (string.IsNullOrEmpty(dir))
            dir = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        return System.IO.Path.Combine(dir, "config.json");
    }

    /// <summary>Reads the file (a missing one is an empty store).</summary>
    public static CredentialStore Load(string? path = null)
    {
        path ??= DefaultPath();
        return new CredentialStore(path, Read(path));
    }

    /// <summary>The login for <paramref name="registry"/> ("docker.io", "host:5000"), or null.</summary>
    public Credential? Get(string registry)
    {
        string domain = RegistryEndpoint.Normalize(registry);
        lock (_lock)
        {
            if (_root["auths"] is not JsonObject auths) return null;
            string key = KeyFor(domain);
            if (auths[key] is JsonObject exact) return Decode(exact, key);
            foreach (var (k, v) in auths)
                if (v is JsonObject entry && RegistryEndpoint.Normalize(k) == domain) return Decode(entry, k);
            return null;
        }
    }

    /// <summary>Stores a login, replacing the registry's entry; keeps the rest of the file.</summary>
    public void Save(string registry, string username, string password)
    {
        if (username.Contains(':')) throw new ArgumentException("a user name cannot contain ':'", nameof(username));
        string domain = RegistryEndpoint.Normalize(registry);
        Update(auths =>
        {
            RemoveEntries(auths, domain);
            auths[KeyFor(domain)] = new JsonObject
            {
                ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":" + password)),
            };
            return true;
        });
    }

    /// <summary>Forgets a login; false when there was none.</summary>
    public bool Remove(string registry)
    {
        string domain = RegistryEndpoint.Normalize(registry);
        return Update(auths => RemoveEntries(auths, domain));
    }

    private static string KeyFor(string domain) =>
        domain == References.ImageReference.DockerHubDomain ? RegistryEndpoint.DockerHubCredentialKey : domain;

    private static bool RemoveEntries(JsonObject auths, string domain)
    {
        var keys = auths.Where(p => RegistryEndpoint.Normalize(p.Key) == domain).Select(p => p.Key).ToList();
        foreach (string k in keys) auths.Remove(k);
        return keys.Count > 0;
    }

    // Re-reads the file before changing it, so that a change another program made since Load survives.
    private bool Update(Func<JsonObject, bool> change)
    {
        lock (_lock)
        {
            var root = Read(Path);
            if (root["auths"] is not JsonObject auths)
            {
                auths = new JsonObject();
                root["auths"] = auths;
            }
            bool changed = change(auths);
            if (changed) Write(Path, root);
            _root = root;
            return changed;
        }
    }

    private Credential Decode(JsonObject entry, string key)
    {
        if (entry["auth"] is JsonValue authValue && authValue.TryGetValue(out string? auth) && auth.Length > 0)
        {
            string text;
            try { text = Encoding.UTF8.GetString(Convert.FromBase64String(auth)); }
            catch (FormatException) { throw Damaged($"the \"auth\" of \"{key}\" is not base64"); }
            int colon = text.IndexOf(':');
            if (colon < 0) throw Damaged($"the \"auth\" of \"{key}\" is not base64(user:password)");
            return new Credential(text[..colon], text[(colon + 1)..]);
        }
        // Older files (and some tools) keep the two fields apart.
        if (entry["username"] is JsonValue u && u.TryGetValue(out string? user) &&
            entry["password"] is JsonValue p && p.TryGetValue(out string? password))
            return new Credential(user, password);
        throw Damaged($"the entry \"{key}\" has no \"auth\" (credential helpers are not supported)");
    }

    private RegistryException Damaged(string what) => new($"{Path}: {what}");

    private static JsonObject Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return new JsonObject(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RegistryException($"reading {path}: {e.Message}", inner: e);
        }
        if (bytes.Length == 0) return new JsonObject();
        try
        {
            return JsonNode.Parse(bytes) as JsonObject
                ?? throw new RegistryException($"{path}: not a JSON object");
        }
        catch (JsonException e) { throw new RegistryException($"{path}: invalid JSON: {e.Message}", inner: e); }
    }

    private static void Write(string path, JsonObject root)
    {
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string tmp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, IndentCharacter = '\t', IndentSize = 1 }))
                    root.WriteTo(writer);
                stream.WriteByte((byte)'\n');
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(tmp);
            throw new RegistryException($"writing {path}: {e.Message}", inner: e);
        }
    }
}
