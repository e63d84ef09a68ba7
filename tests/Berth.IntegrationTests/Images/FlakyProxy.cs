using System.Net;
using System.Net.Sockets;

namespace Berth.IntegrationTests.Images;

/// <summary>What the proxy does to one connection's response bytes.</summary>
public sealed record Fault(long AfterBytes, bool Stall = false)
{
    /// <summary>Closes the connection once this many response bytes (headers included) went through.</summary>
    public static Fault CutAfter(long bytes) => new(bytes);
    /// <summary>Stops forwarding after this many bytes, keeping the connection open until the proxy is disposed.</summary>
    public static Fault StallAfter(long bytes) => new(bytes, Stall: true);
}

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a registry that breaks responses: the n-th connection gets
/// <c>faults(n)</c> (null: passed through untouched). Counts connections and the faults it caused.
/// </summary>
public sealed class FlakyProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly Func<int, Fault?> _faults;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private int _connections, _faulted;

    public FlakyProxy(int upstreamPort, Func<int, Fault?> faults)
    {
        _upstreamPort = upstreamPort;
        _faults = faults;
        _listener.Start();
        lock (_tasks) _tasks.Add(AcceptAsync());
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public string Host => $"127.0.0.1:{Port}";
    public int Connections => Volatile.Read(ref _connections);
    public int Faulted => Volatile.Read(ref _faulted);

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try { client = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            int index = Interlocked.Increment(ref _connections) - 1;
            lock (_tasks) _tasks.Add(ServeAsync(client, _faults(index)));
        }
    }

    private async Task ServeAsync(Socket client, Fault? fault)
    {
        using var _ = client;
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, _stop.Token);
            var up = PumpAsync(client, upstream, null);
            var down = PumpAsync(upstream, client, fault);
            await Task.WhenAny(up, down);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    private async Task PumpAsync(Socket from, Socket to, Fault? fault)
    {
        byte[] buffer = new byte[16384];
        long forwarded = 0;
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0) break;
                if (fault is not null && forwarded + n >= fault.AfterBytes)
                {
                    int last = (int)(fault.AfterBytes - forwarded);
                    if (last > 0) await to.SendAsync(buffer.AsMemory(0, last), SocketFlags.None, _stop.Token);
                    Interlocked.Increment(ref _faulted);
                    if (fault.Stall) await Task.Delay(Timeout.Infinite, _stop.Token);
                    return; // the caller's using closes both sockets
                }
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                forwarded += n;
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        Task[] tasks;
        lock (_tasks) tasks = [.. _tasks];
        Task.WaitAll(tasks, TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
