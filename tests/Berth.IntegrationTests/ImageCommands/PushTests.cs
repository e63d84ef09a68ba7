using System.Text.Json.Nodes;

namespace Berth.IntegrationTests.ImageCommands;

/// <summary>push to the real registry, read back by berth in another store and by skopeo; login with Basic auth.</summary>
[Collection("images")]
public sealed class PushTests
{
    private const string Reg = ImageFixture.Registry;

    [Theory]
    [InlineData("busybox:latest")]
    [InlineData("layered:latest-oci")]
    public void PushedImageIsTheSameImage(string image)
    {
        using var store = new TempStore();
        store.Berth("pull", "-q", $"{Reg}/{image}").Ok();
        string repo = $"{Reg}/pushtest-{Guid.NewGuid():N}/img";
        store.Berth("tag", $"{Reg}/{image}", repo + ":t1").Ok();
        var push = store.Berth("push", repo + ":t1").Ok();
        Assert.StartsWith($"The push refers to repository [{repo}]\n", push.Stdout);
        // The layers came from another repository of this registry: mounted, not uploaded.
        Assert.Contains(": Mounted from ", push.Stdout);
        Assert.Matches(@"t1: digest: sha256:[0-9a-f]{64} size: \d+", push.Stdout);
        var again = store.Berth("push", repo + ":t1").Ok();
        Assert.Contains("Layer already exists", again.Stdout);

        // The manifest went up byte for byte: the registry has the digest the original had.
        string original = JsonNode.Parse(store.Berth("image", "inspect", $"{Reg}/{image}").Ok().Stdout)!.AsArray()[0]!["Descriptor"]!["digest"]!.ToString();
        var skopeo = ImageFixture.Shell($"skopeo inspect --tls-verify=false docker://{repo}:t1");
        Assert.True(skopeo.ExitCode == 0, skopeo.ToString());
        Assert.Equal(original, (string?)JsonNode.Parse(skopeo.Stdout)!["Digest"]);

        using var other = new TempStore();
        other.Berth("pull", "-q", repo + ":t1").Ok();
        Assert.Equal(store.Berth("image", "inspect", "-f", "{{.Id}}", repo + ":t1").Ok().Stdout,
            other.Berth("image", "inspect", "-f", "{{.Id}}", repo + ":t1").Ok().Stdout);
    }

    [Fact]
    public void ImportedImageUploadsItsLayer()
    {
        using var store = new TempStore();
        string rootfs = Path.Combine(store.Dir, "rootfs");
        Directory.CreateDirectory(rootfs);
        File.WriteAllText(Path.Combine(rootfs, "marker"), Guid.NewGuid().ToString());
        string tar = Path.Combine(store.Dir, "r.tar");
        Assert.Equal(0, ImageFixture.Shell($"tar -C '{rootfs}' -cf '{tar}' .").ExitCode);
        string repo = $"{Reg}/pushtest-{Guid.NewGuid():N}/imported:1";
        store.Berth("import", tar, repo).Ok();
        var push = store.Berth("push", repo).Ok();
        Assert.Contains(": Pushed", push.Stdout);
        using var other = new TempStore();
        other.Berth("pull", "-q", repo).Ok();
        string merged = other.Berth("image", "mount", repo).Ok().Stdout.Trim();
        try { Assert.Equal(File.ReadAllText(Path.Combine(rootfs, "marker")), File.ReadAllText(Path.Combine(merged, "marker"))); }
        finally { other.Berth("image", "unmount", repo).Ok(); }
    }

    [Fact]
    public void LoginWithBasicAuth()
    {
        using var store = new TempStore();
        string htpasswd = Path.Combine(store.Dir, "htpasswd");
        Assert.Equal(0, ImageFixture.Shell($"htpasswd -Bbn tester s3cret > '{htpasswd}'").ExitCode);
        string script = Path.Combine(ImageFixture.RepoRoot, "tests/fixtures/registry.sh");
        var start = ImageFixture.Shell($"'{script}' start berth-img-test-auth 5056 htpasswd '{htpasswd}'");
        Assert.True(start.ExitCode == 0, start.ToString());
        try
        {
            store.Env["DOCKER_CONFIG"] = Path.Combine(store.Dir, "docker-config");
            const string auth = "127.0.0.1:5056";
            store.Berth("pull", "-q", $"{Reg}/busybox:latest").Ok();
            store.Berth("tag", $"{Reg}/busybox:latest", $"{auth}/private/busybox:1").Ok();

            var anonymous = store.Berth("push", $"{auth}/private/busybox:1");
            Assert.Equal(1, anonymous.ExitCode);
            Assert.Contains("unauthorized", anonymous.Stderr);

            var wrong = store.BerthIn("nope\n", "login", "-u", "tester", "--password-stdin", auth);
            Assert.Equal(1, wrong.ExitCode);
            Assert.Single(wrong.Stderr.Trim().Split('\n'));
            Assert.Contains("wrong username or password", wrong.Stderr);
            Assert.False(File.Exists(Path.Combine(store.Env["DOCKER_CONFIG"], "config.json")) &&
                         File.ReadAllText(Path.Combine(store.Env["DOCKER_CONFIG"], "config.json")).Contains(auth));

            Assert.Equal("Login Succeeded\n", store.BerthIn("s3cret\n", "login", "-u", "tester", "--password-stdin", auth).Ok().Stdout);
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(store.Env["DOCKER_CONFIG"], "config.json")))!;
            Assert.Equal(Convert.ToBase64String("tester:s3cret"u8.ToArray()), (string?)config["auths"]![auth]!["auth"]);

            store.Berth("push", $"{auth}/private/busybox:1").Ok();
            store.Berth("rmi", $"{auth}/private/busybox:1").Ok();
            store.Berth("pull", "-q", $"{auth}/private/busybox:1").Ok();
            Assert.Equal($"Removing login credentials for {auth}\n", store.Berth("logout", auth).Ok().Stdout);
            var after = store.Berth("pull", $"{auth}/private/busybox:1");
            Assert.Equal(1, after.ExitCode);
        }
        finally
        {
            ImageFixture.Shell($"'{script}' stop berth-img-test-auth");
            ImageFixture.Shell($"rm -rf \"$('{script}' dir berth-img-test-auth)\"");
        }
    }
}
