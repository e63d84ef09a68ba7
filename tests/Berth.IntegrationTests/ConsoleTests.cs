using System.Net.Sockets;
using Berth.IntegrationTests.Harness;
using Berth.Linux;

namespace Berth.IntegrationTests;

[Collection("runtime")]
public sealed class ConsoleTests
{
    [Fact]
    public async Task TerminalProcessGetsAPtyWhoseMasterGoesToTheConsoleSocket()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "tty; stty size; echo done");
        b.Spec.Process!.Terminal = true;
        b.Spec.Process.ConsoleSize = new Berth.Oci.ConsoleSize { Height = 33, Width = 101 };
        b.Write();
        string sockPath = Path.Combine(s.Root, "console.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(sockPath));
        listener.Listen(1);
        var accept = listener.AcceptAsync();
        string id = s.NewId();
        s.Runtime("create", "--bundle", b.Dir, "--console-socket", sockPath, id).Ok();
        using var conn = await accept;
        int master = Libc.ReceiveFd((int)conn.Handle, out _);
        using var pty = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(master, ownsHandle: true), FileAccess.ReadWrite, 1);
        s.Runtime("start", id).Ok();
        var output = new System.Text.StringBuilder();
        var buf = new byte[4096];
        var read = Task.Run(() =>
        {
            try
            {
                int n;
                while ((n = pty.Read(buf)) > 0)
                {
                    output.Append(System.Text.Encoding.UTF8.GetString(buf, 0, n));
                    if (output.ToString().Contains("done")) break;
                }
            }
            catch (IOException) { }
        });
        Assert.True(await Task.WhenAny(read, Task.Delay(10_000)) == read, "no output on the pty: " + output);
        string text = output.ToString().Replace("\r", "");
        Assert.Contains("/dev/pts/0", text);
        Assert.Contains("33 101", text);
    }

    [Fact]
    public void TerminalWithoutConsoleSocketIsAClearErrorForCreate()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("true");
        b.Spec.Process!.Terminal = true;
        b.Write();
        var r = s.Runtime("create", "--bundle", b.Dir, s.NewId());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--console-socket", r.Stderr);
    }

    [Fact]
    public void RunWithoutConsoleSocketProxiesThePtyItself()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "tty; test -t 0 && echo stdin-is-a-tty");
        b.Spec.Process!.Terminal = true;
        var r = s.Run(b).Ok();
        string text = r.Stdout.Replace("\r", "");
        Assert.Contains("/dev/pts/0\n", text);
        Assert.Contains("stdin-is-a-tty", text);
    }

    [Fact]
    public void ExecTtyWithoutConsoleSocketProxiesThePtyItself()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sleep", "1000");
        string id = s.Create(b);
        s.Runtime("start", id).Ok();
        var r = s.Runtime("exec", "--tty", id, "tty").Ok();
        Assert.StartsWith("/dev/pts/", r.Stdout.Replace("\r", ""));
    }
}
