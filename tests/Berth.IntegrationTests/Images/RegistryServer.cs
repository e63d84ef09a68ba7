using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.IntegrationTests.Images;

public enum RegistryAuth { Anonymous, Htpasswd, Token }

/// <summary>
/// A real registry for the tests: Debian's docker-registry (distribution 2.8) on a free 127.0.0.1
/// port, storing in a temp folder (/tmp/berth-test-registry-*), optionally behind htpasswd Basic auth
/// or token auth from the tests' own <see cref="TokenServer"/>. Dispose stops it (by its pid) and
/// removes the folder.
/// </summary>
public sealed class RegistryServer : IDisposable
{
    public const string User = "berth";
    public const string Password = "pa:ss w0rd"; // a colon and a space: Basic auth splits at the first colon
    public const string TempPrefix = "berth-test-registry-";

    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private RegistryServer(DirectoryInfo dir, int port, Process process, TokenServer? tokens)
    {
        Dir = dir;
        Port = port;
        _process = process;
        Tokens = tokens;
    }

    public DirectoryInfo Dir { get; }
    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    public TokenServer? Tokens { get; }

    /// <summary>A docker config.json in the registry's folder, with the right login when <paramref name="password"/> is given.</summary>
    public string WriteDockerConfig(string? password = Password, string name = "config.json")
    {
        string path = Path.Combine(Dir.FullName, name);
        var auths = new JsonObject();
        if (password is not null)
            auths[Host] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + password)) };
        File.WriteAllText(path, new JsonObject { ["auths"] = auths }.ToJsonString());
        return path;
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    public static string? Missing() =>
        File.Exists("/usr/bin/docker-registry") && File.Exists("/usr/bin/htpasswd") ? null
        : "needs docker-registry and htpasswd (apt-get install docker-registry apache2-utils)";

    public static RegistryServer Start(RegistryAuth auth)
    {
        var dir = Directory.CreateTempSubdirectory(TempPrefix);
        TokenServer? tokens = null;
        try
        {
            string authYaml = "";
            if (auth == RegistryAuth.Htpasswd)
            {
                File.WriteAllText(Path.Combine(dir.FullName, "htpasswd"), Run("htpasswd", "-Bbn", User, Password));
                authYaml = $"""
                    auth:
                      htpasswd:
                        realm: berth-test
                        path: {dir.FullName}/htpasswd
                    """;
            }
            else if (auth == RegistryAuth.Token)
            {
                tokens = new TokenServer(User, Password);
                File.WriteAllText(Path.Combine(dir.FullName, "root.pem"), tokens.CertificatePem);
                authYaml = $"""
                    auth:
                      token:
                        realm: {tokens.Realm}
                        service: {TokenServer.Service}
                        issuer: {TokenServer.Issuer}
                        rootcertbundle: {dir.FullName}/root.pem
                    """;
            }
            // The port is free when we look; another program may take it before the registry binds it: try again.
            for (int attempt = 1; ; attempt++)
            {
                int port = FreePort();
                string config = Path.Combine(dir.FullName, "config.yml");
                File.WriteAllText(config, $"""
                    version: 0.1
                    log:
                      level: warn
                      accesslog:
                        disabled: true
                    storage:
                      filesystem:
                        rootdirectory: {dir.FullName}/data
                      delete:
                        enabled: true
                      maintenance:
                        uploadpurging:
                          enabled: false
                    http:
                      addr: 127.0.0.1:{port}
                      secret: berth-test-secret
                    {authYaml}
                    """);
                var psi = new ProcessStartInfo("/usr/bin/docker-registry")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    RedirectStandardInput = true,
                    UseShellExecute = false,
                };
                psi.ArgumentList.Add("serve");
                psi.ArgumentList.Add(config);
                var process = Process.Start(psi)!;
                var server = new RegistryServer(dir, port, process, tokens);
                process.OutputDataReceived += (_, e) => server.Append(e.Data);
                process.ErrorDataReceived += (_, e) => server.Append(e.Data);
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                if (server.WaitReady(out string why)) return server;
                server.Stop();
                if (attempt == 3) throw new InvalidOperationException($"docker-registry did not start: {why}\n{server.Log}");
            }
        }
        catch
        {
            tokens?.Dispose();
            dir.Delete(recursive: true);
            throw;
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    private bool WaitReady(out string why)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        why = "";
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (_process.HasExited) { why = $"exited with {_process.ExitCode}"; return false; }
            try
            {
                using var response = http.GetAsync($"http://{Host}/v2/").GetAwaiter().GetResult();
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return true;
                why = $"/v2/ answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException e) { why = e.Message; }
            Thread.Sleep(50);
        }
        return false;
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {error}");
        return output;
    }

    private void Stop()
    {
        if (!_process.HasExited)
        {
            _process.Kill(); // our own child, by its pid
            _process.WaitForExit(10_000);
        }
        _process.WaitForExit(); // drains the output readers
        _process.Dispose();
    }

    public void Dispose()
    {
        Stop();
        Tokens?.Dispose();
        Dir.Delete(recursive: true);
    }
}
