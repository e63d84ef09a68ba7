using System.Runtime.InteropServices;
using System.Text;

namespace Berth.Linux;

/// <summary>
/// Unmanaged memory for the arguments of one call into spawn.c (strings, string arrays, structs),
/// freed together. The C side must never see managed (movable) memory.
/// </summary>
public sealed unsafe class NativeArena : IDisposable
{
    private readonly List<nint> _blocks = [];

    public void* Alloc(int size)
    {
        void* p = NativeMemory.AllocZeroed((nuint)Math.Max(size, 1));
        _blocks.Add((nint)p);
        return p;
    }

    public T* New<T>(T value) where T : unmanaged
    {
        T* p = (T*)Alloc(sizeof(T));
        *p = value;
        return p;
    }

    public byte* Utf8(string? s)
    {
        if (s is null) return null;
        int n = Encoding.UTF8.GetByteCount(s);
        byte* p = (byte*)Alloc(n + 1);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        return p;
    }

    /// <summary>A NULL-terminated char*[] as execve wants.</summary>
    public byte** Utf8Array(IReadOnlyList<string> items)
    {
        byte** p = (byte**)Alloc((items.Count + 1) * sizeof(nint));
        for (int i = 0; i < items.Count; i++) p[i] = Utf8(items[i]);
        return p;
    }

    public T* Array<T>(ReadOnlySpan<T> items) where T : unmanaged
    {
        T* p = (T*)Alloc(items.Length * sizeof(T));
        items.CopyTo(new Span<T>(p, items.Length));
        return p;
    }

    public void Dispose()
    {
        foreach (nint p in _blocks) NativeMemory.Free((void*)p);
        _blocks.Clear();
    }
}
