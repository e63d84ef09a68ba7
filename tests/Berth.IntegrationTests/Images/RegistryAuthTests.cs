using Berth.Images.Content;
using Berth.Images.Manifests;
using Berth.Images.Registry;
using static Berth.IntegrationTests.Images.TestContent;

namespace Berth.IntegrationTests.Images;

/// <summary>A registry behind htpasswd: Basic credentials from a docker config.json.</summary>
[Collection("registry")]
public sealed class BasicAuthTests(BasicAuthRegistry fixture) : IClassFixture<BasicAuthRegistry>, IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private RegistryServer Server => fixture.Server;
    private CancellationToken Ct => _timeout.Token;

    public void Dispose() => _timeout.Dispose();

    private RegistryClient Client(string? password) => new(new RegistryOptions
    {
        Credentials = CredentialStore.Load(Server.WriteDockerConfig(password, $"config-{Guid.NewGuid():N}.json")),
    });

    [RegistryFact]
    public async Task With_the_right_login_blobs_and_manifests_go_both_ways()
    {
        using var client = Client(RegistryServer.Password);
        var repo = Repo(Server.Host, "basic/app");
        byte[] config = "{}"u8.ToArray(), layer = RandomBytes(70_000, 20);
        foreach (var blob in new[] { config, layer })
            await client.PushBlobAsync(repo, Digest.Of(blob), blob.Length, () => new MemoryStream(blob), null, Ct);
        byte[] manifest = Manifest(config, layer);
        var digest = await client.PutManifestAsync(repo, "latest", MediaTypes.OciManifest, manifest, Ct);

        Assert.Equal(manifest, (await client.GetManifestAsync(repo, "latest", Ct)).Bytes);
        Assert.Equal(manifest, (await client.GetManifestAsync(repo, digest.ToString(), Ct)).Bytes);
        await using var stream = await client.OpenBlobAsync(repo, Digest.Of(layer), layer.Length, 0, Ct);
        Assert.Equal(layer, await ReadAllAsync(stream));
    }

    [RegistryFact]
    public async Task A_wrong_password_is_one_clear_line()
    {
        using var client = Client("not the password");
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Repo(Server.Host, "basic/app"), "latest", Ct));
        Assert.Equal($"unauthorized: wrong username or password for {Server.Host}", e.Message);
    }

    [RegistryFact]
    public async Task Without_a_login_the_registry_asks_for_one()
    {
        using var client = Client(null);
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.BlobExistsAsync(Repo(Server.Host, "basic/app"), Digest.Of("x"u8), Ct));
        Assert.Equal($"unauthorized: {Server.Host} requires a login (berth login {Server.Host})", e.Message);
    }

    [RegistryFact]
    public async Task The_login_check_accepts_the_password_and_refuses_another()
    {
        using var client = new RegistryClient(new RegistryOptions());
        await client.CheckLoginAsync(Server.Host, RegistryServer.User, RegistryServer.Password, Ct);
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.CheckLoginAsync(Server.Host, RegistryServer.User, "wrong", Ct));
        Assert.Equal($"unauthorized: wrong username or password for {Server.Host}", e.Message);
    }
}

/// <summary>A registry with token auth: Bearer tokens from the tests' token server.</summary>
[Collection("registry")]
public sealed class TokenAuthTests(TokenAuthRegistry fixture) : IClassFixture<TokenAuthRegistry>, IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private RegistryServer Server => fixture.Server;
    private TokenServer Tokens => fixture.Server.Tokens!;
    private CancellationToken Ct => _timeout.Token;

    public void Dispose()
    {
        Tokens.AccessTokenFieldOnly = false;
        _timeout.Dispose();
    }

    private RegistryClient Client(string? password) => new(new RegistryOptions
    {
        Credentials = CredentialStore.Load(Server.WriteDockerConfig(password, $"config-{Guid.NewGuid():N}.json")),
    });

    [RegistryFact]
    public async Task With_the_right_login_a_push_and_pull_use_few_tokens()
    {
        using var client = Client(RegistryServer.Password);
        var repo = Repo(Server.Host, "token/app");
        byte[] config = "{}"u8.ToArray(), layer = RandomBytes(70_000, 30);
        int before = Tokens.TokensIssued;
        foreach (var blob in new[] { config, layer })
            await client.PushBlobAsync(repo, Digest.Of(blob), blob.Length, () => new MemoryStream(blob), null, Ct);
        byte[] manifest = Manifest(config, layer);
        await client.PutManifestAsync(repo, "v2", MediaTypes.OciManifest, manifest, Ct);
        Assert.Equal(manifest, (await client.GetManifestAsync(repo, "v2", Ct)).Bytes);
        await using (var stream = await client.OpenBlobAsync(repo, Digest.Of(layer), layer.Length, 0, Ct))
            Assert.Equal(layer, await ReadAllAsync(stream));

        // One token for pull,push (cached across the pushes), one for pull.
        Assert.Equal(2, Tokens.TokensIssued - before);
        Assert.Contains("repository:token/app:pull,push", Tokens.Requests);
    }

    [RegistryFact]
    public async Task Anonymous_callers_may_pull_but_not_push()
    {
        byte[] blob = RandomBytes(10_000, 31);
        var repo = Repo(Server.Host, "token/public");
        using (var owner = Client(RegistryServer.Password))
            await owner.PushBlobAsync(repo, Digest.Of(blob), blob.Length, () => new MemoryStream(blob), null, Ct);

        using var anonymous = new RegistryClient(new RegistryOptions());
        await using (var stream = await anonymous.OpenBlobAsync(repo, Digest.Of(blob), blob.Length, 0, Ct))
            Assert.Equal(blob, await ReadAllAsync(stream));

        byte[] other = RandomBytes(100, 32);
        var e = await Assert.ThrowsAsync<RegistryException>(() =>
            anonymous.PushBlobAsync(repo, Digest.Of(other), other.Length, () => new MemoryStream(other), null, Ct));
        Assert.StartsWith($"access denied to {Server.Host}/token/public: the repository does not exist or needs a login (berth login {Server.Host})", e.Message);
    }

    [RegistryFact]
    public async Task A_wrong_password_is_one_clear_line()
    {
        using var client = Client("not the password");
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(Repo(Server.Host, "token/app"), "latest", Ct));
        Assert.Equal($"unauthorized: wrong username or password for {Server.Host}", e.Message);
    }

    [RegistryFact]
    public async Task A_token_in_access_token_is_taken_too()
    {
        Tokens.AccessTokenFieldOnly = true;
        using var client = Client(RegistryServer.Password);
        var repo = Repo(Server.Host, "token/oauth");
        Assert.False(await client.BlobExistsAsync(repo, Digest.Of("y"u8), Ct));
    }

    [RegistryFact]
    public async Task A_blob_is_mounted_with_a_token_for_both_repositories()
    {
        using var client = Client(RegistryServer.Password);
        var source = Repo(Server.Host, "token/mount-source");
        var target = Repo(Server.Host, "token/mount-target");
        byte[] blob = RandomBytes(30_000, 33);
        var digest = Digest.Of(blob);
        await client.PushBlobAsync(source, digest, blob.Length, () => new MemoryStream(blob), null, Ct);

        await client.PushBlobAsync(target, digest, blob.Length, () => throw new InvalidOperationException("must not be read"), source.Path, Ct);

        Assert.True(await client.BlobExistsAsync(target, digest, Ct));
        Assert.Contains(Tokens.Requests, r => r.Contains("repository:token/mount-target:pull,push") && r.Contains("repository:token/mount-source:pull"));
    }

    [RegistryFact]
    public async Task The_login_check_accepts_the_password_and_refuses_another()
    {
        using var client = new RegistryClient(new RegistryOptions());
        await client.CheckLoginAsync(Server.Host, RegistryServer.User, RegistryServer.Password, Ct);
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.CheckLoginAsync(Server.Host, RegistryServer.User, "wrong", Ct));
        Assert.Equal($"unauthorized: wrong username or password for {Server.Host}", e.Message);
    }
}
