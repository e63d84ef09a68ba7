using System.Text.Json;
using Berth.Linux;
using Berth.Oci;

namespace Berth.Runtime.Seccomp;

/// <summary>
/// Hands a container's seccomp notification fd to linux.seccomp.listenerPath: one connection,
/// the container process state as JSON with the fd attached (SCM_RIGHTS), then close (runtime-spec
/// config-linux.md, "seccomp", listenerPath).
/// </summary>
public static class SeccompListener
{
    public static void Send(Spec spec, State state, int listenerFd)
    {
        string? path = spec.Linux?.Seccomp?.ListenerPath;
        if (string.IsNullOrEmpty(path)) throw new SpecException("linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
        int sock;
        try { sock = Libc.ConnectUnix(path); }
        catch (SyscallException e) { throw new RuntimeException($"linux.seccomp.listenerPath: {e.Message}"); }
        try { Libc.SendFd(sock, listenerFd, ProcessState(spec, state)); }
        finally { Libc.close(sock); }
    }

    public static byte[] ProcessState(Spec spec, State state)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("ociVersion", SpecVersion.Current);
            w.WriteStartArray("fds");
            w.WriteStringValue("seccompFd");
            w.WriteEndArray();
            w.WriteNumber("pid", state.Pid);
            w.WriteString("metadata", spec.Linux?.Seccomp?.ListenerMetadata ?? "");
            w.WritePropertyName("state");
            w.WriteRawValue(JsonSerializer.SerializeToUtf8Bytes(state, OciJsonContext.Default.State));
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
