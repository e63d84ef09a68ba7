using System.Text;
using System.Text.Json.Nodes;
using Berth.Images.Registry;

namespace Berth.UnitTests.Images;

public sealed class CredentialStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("berth-unit-creds-").FullName;
    private string ConfigPath => Path.Combine(_dir, "docker", "config.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Auth(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

    [Fact]
    public void A_missing_file_is_an_empty_store()
    {
        var store = CredentialStore.Load(ConfigPath);
        Assert.Null(store.Get("127.0.0.1:5000"));
        Assert.False(store.Remove("127.0.0.1:5000"));
        Assert.False(File.Exists(ConfigPath));
    }

    [Fact]
    public void A_saved_login_reads_back_from_a_new_load_with_mode_0600()
    {
        CredentialStore.Load(ConfigPath).Save("127.0.0.1:5000", "al", "p:a ss\u00e9");

        Assert.Equal(new Credential("al", "p:a ss\u00e9"), CredentialStore.Load(ConfigPath).Get("127.0.0.1:5000"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigPath));
        var json = JsonNode.Parse(File.ReadAllText(ConfigPath))!;
        Assert.Equal(Auth("al", "p:a ss\u00e9"), (string?)json["auths"]!["127.0.0.1:5000"]!["auth"]);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(ConfigPath)!, "*.tmp"));
    }

    [Fact]
    public void Other_keys_and_other_logins_are_kept_untouched()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigPath)!);
        File.WriteAllText(ConfigPath, $$"""
            {
              "auths": {
                "quay.io": {"auth": "{{Auth("q", "w")}}", "email": "q@example.com" },
                "127.0.0.1:5000": {"auth": "{{Auth("old", "old")}}" }
              },
              "credHelpers": {"gcr.io": "gcloud"},
              "HttpHeaders": {"X-Meta": "kept"},
              "proxies": {"default": {"httpProxy": "http://proxy:3128", "noProxy": ["a", "b"] } },
              "detachKeys": "ctrl-e,e",
              "number": 1.5e3,
              "flag": false,
              "nothing": null
            }
            """);
        var before = JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();

        var store = CredentialStore.Load(ConfigPath);
        store.Save("127.0.0.1:5000", "new", "secret");

        var after = JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();
        foreach (var (key, value) in before.Where(p => p.Key != "auths"))
            Assert.True(JsonNode.DeepEquals(value, after[key]), $"{key} changed: {after[key]?.ToJsonString()}");
        Assert.True(JsonNode.DeepEquals(before["auths"]!["quay.io"], after["auths"]!["quay.io"]));
        Assert.Equal(new Credential("new", "secret"), store.Get("127.0.0.1:5000"));
        Assert.Equal(new Credential("q", "w"), store.Get("quay.io"));
    }

    [Fact]
    public void Docker_Hub_is_filed_under_docker_s_key_whatever_it_is_called()
    {
        var store = CredentialStore.Load(ConfigPath);
        store.Save("docker.io", "hubuser", "hubpass");

        var auths = JsonNode.Parse(File.ReadAllText(ConfigPath))!["auths"]!.AsObject();
        Assert.Equal(["https://index.docker.io/v1/"], auths.Select(p => p.Key));
        Assert.Equal("hubuser", store.Get("index.docker.io")!.Username);
        Assert.Equal("hubuser", store.Get("https://index.docker.io/v1/")!.Username);
        Assert.Equal("hubuser", CredentialStore.Load(ConfigPath).Get("docker.io")!.Username);
    }

    [Fact]
    public void Keys_written_with_a_scheme_or_path_are_found_and_replaced()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigPath)!);
        File.WriteAllText(ConfigPath, $$"""{"auths":{"https://reg.example:5000/v1/":{"auth":"{{Auth("a", "b")}}" } } }""");
        var store = CredentialStore.Load(ConfigPath);
        Assert.Equal(new Credential("a", "b"), store.Get("reg.example:5000"));

        store.Save("reg.example:5000", "c", "d");
        var auths = JsonNode.Parse(File.ReadAllText(ConfigPath))!["auths"]!.AsObject();
        Assert.Equal(["reg.example:5000"], auths.Select(p => p.Key));
    }

    [Fact]
    public void Remove_forgets_one_login_only()
    {
        var store = CredentialStore.Load(ConfigPath);
        store.Save("a.example", "a", "1");
        store.Save("b.example", "b", "2");

        Assert.True(store.Remove("a.example"));
        Assert.False(store.Remove("a.example"));
        var reloaded = CredentialStore.Load(ConfigPath);
        Assert.Null(reloaded.Get("a.example"));
        Assert.Equal(new Credential("b", "2"), reloaded.Get("b.example"));
    }

    [Fact]
    public void A_save_keeps_what_another_program_wrote_since_load()
    {
        var store = CredentialStore.Load(ConfigPath);
        store.Save("a.example", "a", "1");
        var other = CredentialStore.Load(ConfigPath);
        other.Save("b.example", "b", "2");

        store.Save("c.example", "c", "3");

        var reloaded = CredentialStore.Load(ConfigPath);
        Assert.NotNull(reloaded.Get("a.example"));
        Assert.NotNull(reloaded.Get("b.example"));
        Assert.NotNull(reloaded.Get("c.example"));
    }

    [Fact]
    public void Separate_username_and_password_fields_are_read()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigPath)!);
        File.WriteAllText(ConfigPath, """{"auths":{"reg.example":{"username":"u","password":"p"}}}""");
        Assert.Equal(new Credential("u", "p"), CredentialStore.Load(ConfigPath).Get("reg.example"));
    }

    [Fact]
    public void A_damaged_file_or_entry_is_reported_with_its_path()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigPath)!);
        File.WriteAllText(ConfigPath, "{ not json");
        var e = Assert.Throws<RegistryException>(() => CredentialStore.Load(ConfigPath));
        Assert.StartsWith($"{ConfigPath}: invalid JSON", e.Message);

        File.WriteAllText(ConfigPath, """{"auths":{"reg.example":{"auth":"!!!"}}}""");
        e = Assert.Throws<RegistryException>(() => CredentialStore.Load(ConfigPath).Get("reg.example"));
        Assert.Equal($"{ConfigPath}: the \"auth\" of \"reg.example\" is not base64", e.Message);
    }

    [Fact]
    public void A_credential_never_prints_its_password()
    {
        Assert.Equal("me:***", new Credential("me", "hunter2").ToString());
    }
}
