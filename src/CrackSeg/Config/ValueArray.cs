using System.Collections;
using System.Runtime.CompilerServices;

namespace CrackSeg.Config;

/// <summary>
/// An immutable list with value equality, so config records that hold lists compare by content
/// (a plain array would make two identical configs unequal).
/// </summary>
[CollectionBuilder(typeof(ValueArray), nameof(ValueArray.Create))]
public sealed class ValueArray<T> : IReadOnlyList<T>, IEquatable<ValueArray<T>>
{
    private readonly T[] _items;

    public ValueArray(IEnumerable<T> items) => _items = items.ToArray();

    public int Count => _items.Length;
    public T this[int index] => _items[index];
    public T[] ToArray() => (T[])_items.Clone();

    public bool Equals(ValueArray<T>? other) =>
        other is not null && _items.AsSpan().SequenceEqual(other._items, EqualityComparer<T>.Default);
    public override bool Equals(object? obj) => Equals(obj as ValueArray<T>);
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items) hash.Add(item);
        return hash.ToHashCode();
    }
    public override string ToString() => "[" + string.Join(", ", _items) + "]";

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public static implicit operator ValueArray<T>(T[] items) => new(items);
}

public static class ValueArray
{
    public static ValueArray<T> Create<T>(ReadOnlySpan<T> items) => new(items.ToArray());
}
