using System.Net;
using System.Text;

namespace Berth.IntegrationTests.Images;

/// <summary>
/// A hand-driven HTTP server on 127.0.0.1 for what a real registry will not do: oversized, altered or
/// malformed manifests, redirects, wrong lengths, strange challenges. Each request goes to the handler.
/// </summary>
public sealed class FakeRegistry : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerContext, Task> _handler;
    private readonly Task _loop;
    private int _requests;

    public FakeRegistry(Func<HttpListenerContext, Task> handler)
    {
        _handler = handler;
        for (int attempt = 1; ; attempt++)
        {
            Port = RegistryServer.FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 3) { }
        }
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; private set; }
    public string Host => $"127.0.0.1:{Port}";
    public int Requests => Volatile.Read(ref _requests);

    private async Task ServeAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            Interlocked.Increment(ref _requests);
            _ = Task.Run(async () =>
            {
                try { await _handler(context); }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { } // the client hung up
                finally
                {
                    try { context.Response.Close(); }
                    catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException) { }
                }
            });
        }
    }

    public static async Task WriteAsync(HttpListenerResponse response, int status, byte[] body, string? contentType = null,
        IReadOnlyDictionary<string, string>? headers = null, bool chunked = false)
    {
        response.StatusCode = status;
        if (contentType is not null) response.ContentType = contentType;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) response.Headers[name] = value;
        if (chunked) response.SendChunked = true;
        else response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
    }

    public static Task WriteAsync(HttpListenerResponse response, int status, string body, string? contentType = null,
        IReadOnlyDictionary<string, string>? headers = null) =>
        WriteAsync(response, status, Encoding.UTF8.GetBytes(body), contentType, headers);

    public void Dispose()
    {
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
