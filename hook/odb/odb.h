/*
 * odb.h - the raw git readers, in one place: ids and id sets, the index
 * (v2-v4, split, sparse) and its walk against HEAD, pack indexes, pack
 * entries and deltas, pack order, trees, commits and tags. Each format has
 * one reader here; libgit2 is the fallback for what they do not read.
 */
#ifndef SG_ODB_H
#define SG_ODB_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- bytes.c: what every format shares --------------------------------- */

/* Big-endian integers, as every git file format stores them. */
uint16_t odb_be16(const unsigned char *p);
uint32_t odb_be32(const unsigned char *p);
uint64_t odb_be64(const unsigned char *p);

/* git's offset varint (gitformat-pack(5) OFS_DELTA distances, index v4
 * path prefixes): 7 bits a byte, each continuation adding one. 0, or -1 when
 * it runs past end or overflows. */
int odb_offset_varint(const unsigned char **p, const unsigned char *end, uint64_t *out);

/* A delta's size header: little-endian base-128. 0, or -1 likewise. */
int odb_size_varint(const unsigned char **p, const unsigned char *end, size_t *out);

/* A pack entry's header: type (1-4 objects, 6 OFS_DELTA, 7 REF_DELTA) and
 * inflated size, then for OFS_DELTA the distance back to its base, for
 * REF_DELTA the base's id (hashlen bytes: 20 SHA-1, 32 SHA-256; in place). *p
 * is left at the zlib data. 0, or -1 when the header is cut short or runs on
 * (the type is not checked). */
typedef struct pack_entry_header {
	unsigned type;
	size_t size;
	uint64_t base_distance;     /* OFS_DELTA */
	const unsigned char *base_id; /* REF_DELTA */
} pack_entry_header;
int odb_pack_entry_header(const unsigned char **p, const unsigned char *end, size_t hashlen, pack_entry_header *h);

/* An id of hashlen bytes from the 2 x hashlen lower-case hex digits git
 * prints (more may follow): 0, or -1 at the first that is not one. */
int odb_id_from_hex(const char *hex, size_t hashlen, unsigned char *id);
/* The id's 2 x hashlen hex digits and a NUL into hex. */
void odb_id_to_hex(const unsigned char *id, size_t hashlen, char *hex);

/* Puts name (n bytes) at *path + len, NUL-terminated, with room for one byte
 * more (a '/'), growing *path (of *cap bytes; the caller frees it). -1: no memory. */
int odb_path_put(char **path, size_t *cap, size_t len, const char *name, size_t n);

/* The .pack beside a .idx path ("x.idx" -> "x.pack") into buf; -1 when the
 * path does not end in .idx or does not fit. */
int odb_pack_path(const char *idx_path, char *buf, size_t size);

/* ---- oidset.c ---------------------------------------------------------- */

typedef struct oidset_entry {
	git_oid id;
	void *value;
	int used;
} oidset_entry;

typedef struct oidset {
	oidset_entry *slots;
	size_t count, cap; /* cap is a power of two */
} oidset;

void oidset_init(oidset *s);
void oidset_free(oidset *s);           /* frees the table, not the values */
oidset_entry *oidset_get(const oidset *s, const git_oid *id);
/* Returns the entry for id, adding it (value NULL) if new; NULL on ENOMEM. */
oidset_entry *oidset_add(oidset *s, const git_oid *id, int *added);

/* ---- packidx.c --------------------------------------------------------- */

/* The length of an object id in bytes: SHA-1's, SHA-256's. */
#define ODB_SHA1_LEN 20
#define ODB_SHA256_LEN 32

typedef struct pack_index {
	const unsigned char *map;
	size_t size;
	size_t hashlen;             /* ODB_SHA1_LEN or ODB_SHA256_LEN: the repository's, not in the file */
	uint32_t count;
	const unsigned char *sha;   /* count x hashlen bytes, sorted */
	const unsigned char *off32; /* count x 4 bytes, big endian */
	const unsigned char *off64; /* the large offsets */
	int mapped;                 /* map is ours to unmap */
} pack_index;

/* Maps and checks a version 2 index of ids hashlen bytes long: 0, or -1 (not
 * one we read; x is cleared). */
int pack_index_open(pack_index *x, const char *path, size_t hashlen);
/* Checks a version 2 index already in memory, which x borrows: 0 or -1. */
int pack_index_parse(pack_index *x, const unsigned char *buf, size_t size, size_t hashlen);
void pack_index_close(pack_index *x);

/* The .pack offset of the i-th id, UINT64_MAX when the index is damaged. */
uint64_t pack_index_offset_at(const pack_index *x, uint32_t i);

/* The .pack offset of id, UINT64_MAX when the pack does not hold it. */
uint64_t pack_index_offset_of(const pack_index *x, const unsigned char *id);

/* Calls cb with the path of each .idx file in repo's objects/pack, stopping at
 * cb's first non-zero return, which it returns. */
int pack_dir_each(git_repository *repo, int (*cb)(const char *idx_path, void *payload), void *payload);
/* The same for the objects directory objdir (a quarantine, an alternate). */
int pack_objdir_each(const char *objdir, int (*cb)(const char *idx_path, void *payload), void *payload);

/* Maps a whole file read-only; NULL when it cannot (empty files included). */
const unsigned char *map_readonly(const char *path, size_t *size);


/* ---- packread.c -------------------------------------------------------- */

/* An object read from a pack, reference counted (the cache holds one). */
typedef struct pack_obj {
	int refs;
	git_object_t type;
	size_t len;
	unsigned char *data;
} pack_obj;

void pack_obj_unref(pack_obj *o);

/* Every v2-indexed pack of a repository, mapped; shared read-only by threads. */
typedef struct pack_store pack_store;

/* NULL when the repository has no pack we read (callers use libgit2). */
pack_store *pack_store_open(git_repository *repo);
void pack_store_free(pack_store *s);

/* The packs of the objects directory objdir, whose ids are hashlen bytes long
 * (a repository libgit2 cannot open: SHA-256). *unread counts the .idx files
 * it could not read (not v2, no .pack beside): their objects are not in the
 * store. NULL only when out of memory; with no pack, the store is empty. */
pack_store *pack_store_open_objdir(const char *objdir, size_t hashlen, size_t *unread);
/* How many packs s holds, and the i-th one's index and data (borrowed). */
size_t pack_store_count(const pack_store *s);
const pack_index *pack_store_index(const pack_store *s, size_t i, const unsigned char **data, size_t *size);
/* 1 when a pack of s holds id (of the store's length). */
int pack_store_has(const pack_store *s, const unsigned char *id);

/* A store of one pack already in memory, its .idx and .pack data borrowed
 * (they must outlive it); NULL when they are not a pack we read. For tests
 * and the fuzz harness, which hold no repository. */
pack_store *pack_store_from_memory(const unsigned char *idx, size_t idx_size, const unsigned char *data,
				   size_t data_size);

/* One thread's cache of resolved objects, holding up to budget bytes. */
typedef struct pack_cache pack_cache;
pack_cache *pack_cache_new(size_t budget);
void pack_cache_free(pack_cache *c);
/* Empties the cache, as new: before it serves another store (it knows
 * objects by their pack's number and offset, not by store). */
void pack_cache_clear(pack_cache *c);

/*
 * Reads object id: 1 and *out (a new reference: pack_obj_unref it) when a
 * pack holds it, 0 when none does (loose, or a base outside the pack: ask
 * libgit2), -1 when its pack data is damaged (git_error_last says why).
 */
int pack_store_read(pack_store *s, pack_cache *c, const git_oid *id, pack_obj **out);
/* The same for an id of the store's length (SHA-256: 32 bytes). */
int pack_store_read_id(pack_store *s, pack_cache *c, const unsigned char *id, pack_obj **out);
/* The same for the object at offset in the store's pack-th pack (as
 * pack_store_walk names it), whatever the length of its id. */
int pack_store_read_at(pack_store *s, pack_cache *c, uint32_t packno, uint64_t offset, pack_obj **out);

/* ---- packorder.c ------------------------------------------------------- */

/* type: from the pack entry header (a delta: its base's); GIT_OBJECT_INVALID
 * when it cannot tell (loose objects, a base outside the pack). size: the
 * object's size, SIZE_MAX when unknown (and for a tree stored as a delta). */
typedef int (*pack_object_cb)(const git_oid *id, git_object_t type, size_t size, void *payload);

/*
 * Calls cb once for every object of repo: the objects of each pack of its
 * object directory in pack order, then every other object (loose ones,
 * alternates, packs whose index is not version 2) as git_odb_foreach lists
 * them. A non-zero return from cb stops the walk and is returned.
 */
int odb_foreach_in_pack_order(git_repository *repo, git_odb *odb, pack_object_cb cb, void *payload);

/* Calls cb once for each object of the store's packs, each pack in pack order,
 * with its raw id, its place and, from its entry header, its type (1-4; 0
 * when the header cannot tell) and size (SIZE_MAX when unknown). An object an
 * earlier pack holds too is skipped. A non-zero return from cb stops the walk
 * and is returned; -1 when out of memory. */
typedef int (*pack_entry_cb)(const unsigned char *id, uint32_t packno, uint64_t offset, unsigned type, size_t size,
			     void *payload);
int pack_store_walk(pack_store *s, pack_entry_cb cb, void *payload);

/* The same for the object directory objdir (a push's quarantine) and odb,
 * which holds what objdir holds (and maybe more: its alternates). */
int odb_foreach_in_pack_order_at(const char *objdir, git_odb *odb, pack_object_cb cb, void *payload);

/* ---- loose.c ----------------------------------------------------------- */

/* Calls cb with the id (hashlen bytes) of each loose object of objdir
 * (objdir/xx/yyyy; other names are not objects and are passed over),
 * stopping at cb's first non-zero return, which it returns. */
int loose_each(const char *objdir, size_t hashlen, int (*cb)(const unsigned char *id, void *payload), void *payload);

/* Reads the loose object id of objdir: 1 with its type (1-4), *data (owned,
 * NUL-terminated) and *len; when it is over max bytes, 1 with *len its size
 * and *data NULL (not inflated). 0 when objdir has no such file, -1 when it
 * is damaged (*why says how). */
int loose_read(const char *objdir, const unsigned char *id, size_t hashlen, size_t max, unsigned *type,
	       unsigned char **data, size_t *len, const char **why);
/* The same for a loose file's bytes z[0..zn) already in memory: 1 or -1. */
int loose_inflate(const unsigned char *z, size_t zn, size_t max, unsigned *type, unsigned char **data, size_t *len,
		  const char **why);

/* ---- index.c ----------------------------------------------------------- */

/*
 * Calls cb for each blob the index at index_path adds or changes against
 * head_tree (NULL on an unborn branch): path, HEAD's blob there (NULL when
 * none) and the index's. Directories whose cache-tree id equals HEAD's tree
 * are skipped unread. *gone lists the blobs HEAD has where the index has
 * none (the sources of renames); the caller frees it. A missing index file is
 * an empty index; a split index is read with its shared index (beside the
 * index file, else in gitdir, which may be NULL). Returns 0, -1 after printing why, or cb's non-zero return.
 */
typedef int (*tree_change_cb)(const char *path, const git_oid *old_entry_id, const git_oid *new_id,
			      void *payload);
int staged_changes(git_odb *odb, const char *index_path, const char *gitdir, const git_oid *head_tree,
		   tree_change_cb cb, void *payload, git_oid **gone, size_t *ngone);

/* ---- treediff.c -------------------------------------------------------- */

/* One entry of a raw tree object ("<octal mode> <name>\0<id>"), in place. */
typedef struct tree_entry_raw {
	unsigned mode;
	const char *name;
	size_t len;
	const unsigned char *id;
} tree_entry_raw;

/* Reads a raw tree's entries in order: valid is 0 past the last one. */
typedef struct tree_cursor {
	const unsigned char *p, *end;
	size_t hashlen; /* of the ids: ODB_SHA1_LEN or ODB_SHA256_LEN */
	tree_entry_raw e;
	int valid;
} tree_cursor;

/* Starts at data[0..len) and reads the first entry; -1 on a corrupt tree.
 * Its ids are SHA-1's; tree_cursor_start_ids: hashlen bytes long. */
int tree_cursor_start(tree_cursor *c, const void *data, size_t len);
int tree_cursor_start_ids(tree_cursor *c, const void *data, size_t len, size_t hashlen);
/* The next entry; -1 on a corrupt tree. */
int tree_cursor_next(tree_cursor *c);

/* git's tree order: names bytewise, a tree's name as if it ended in '/'. */
int tree_name_cmp(const char *a, size_t al, int adir, const char *b, size_t bl, int bdir);

/* What git makes of an entry's mode (its canon_mode): content, a directory,
 * or a gitlink (a submodule's commit, and any mode git does not know). */
typedef enum { TREE_ENTRY_BLOB, TREE_ENTRY_TREE, TREE_ENTRY_GITLINK } tree_entry_kind;
tree_entry_kind tree_mode_kind(unsigned mode);
int tree_mode_is_tree(unsigned mode);
int tree_mode_is_blob(unsigned mode);

/* ---- rawobj.c ---------------------------------------------------------- */

/* Recently read trees, so that a parent's trees read for one commit serve the
 * next. One per thread; tree_cache_free releases the trees it holds. */
typedef struct tree_cache tree_cache;
tree_cache *tree_cache_new(void);
void tree_cache_free(tree_cache *c);

/* Lets the cache read objects from the repository's packs directly (see
 * odb.h), holding up to budget bytes of them. packs may be NULL. */
struct pack_store;
int tree_cache_use_packs(tree_cache *c, struct pack_store *packs, size_t budget);

/* An object's raw bytes, from a pack or through libgit2; release when done. */
typedef struct raw_object {
	git_object_t type;
	const unsigned char *data;
	size_t len;
	git_odb_object *gobj;    /* the reference held, one of the three */
	struct pack_obj *pobj;
	unsigned char *owned;    /* read by other means (a loose file, git cat-file): freed */
} raw_object;

int raw_object_read(git_odb *odb, tree_cache *cache, const git_oid *id, raw_object *out);
/* The same, and -1 unless the object is a tree. */
int raw_tree_read(git_odb *odb, tree_cache *cache, const git_oid *id, raw_object *out);
void raw_object_release(raw_object *o);
/* o holds pack object p (its reference, taken), as read from a pack. */
void raw_object_from_pack(raw_object *o, pack_obj *p);
/* 1 when odb has no object id (a read failed because it is missing, not damaged). */
int raw_object_missing(git_odb *odb, const git_oid *id);

/* ---- treediff.c, treewalk.c -------------------------------------------- */

/* A tree that should be read cannot be: missing from the object database, or
 * damaged (then libgit2's error says why). path is where it sits. Return 0
 * to go on without it (counted by the caller), -1 to stop. */
typedef int (*tree_missing_cb)(const char *path, const git_oid *tree, int damaged, void *payload);

/*
 * Calls cb for each blob in new_tree whose id differs from the blob at the
 * same path in old_tree (NULL: the empty tree). Subtrees with equal ids are
 * skipped without being read; gitlinks (submodules) are not content; modes
 * count as git canonicalises them, so a mode change alone adds nothing.
 * old_entry_id is NULL when old_tree has no blob at that path. Reads only
 * through odb, so threads may run it at once, each with its own cache (cache
 * may be NULL). Never recurses on the trees' depth. A non-zero return from
 * cb stops the diff and is returned. A missing tree is an error for
 * tree_diff; tree_diff_ext hands it to missing (old trees: diffed as empty).
 */
int tree_diff(git_odb *odb, tree_cache *cache, const git_oid *old_tree, const git_oid *new_tree,
	      tree_change_cb cb, void *payload);
int tree_diff_ext(git_odb *odb, tree_cache *cache, const git_oid *old_tree, const git_oid *new_tree,
		  tree_change_cb cb, tree_missing_cb on_missing, void *payload);

/* The entry at path ("a/b/c") in tree: 1 with its id and kind, 0 when there is none. */
int tree_entry_at(git_odb *odb, tree_cache *cache, const git_oid *tree, const char *path, git_oid *out,
		  tree_entry_kind *kind);
/* 1 and *out when the entry at path is content (a file or a symlink). */
int tree_blob_at(git_odb *odb, tree_cache *cache, const git_oid *tree, const char *path, git_oid *out);

/* What tree_walk calls: paths are prefix + the entry's path ("dir/" for trees). */
typedef struct tree_walk_cbs {
	int (*blob)(const char *path, const git_oid *id, void *payload);   /* non-zero stops */
	int (*tree)(const char *path, const git_oid *id, void *payload);   /* 1 enter, 0 skip, <0 stop */
	tree_missing_cb missing;                                           /* NULL: an error */
	void *payload;
} tree_walk_cbs;

/* Every entry below tree (gitlinks skipped), depth-first in tree order. Returns 0, -1 or a callback's stop. */
int tree_walk(git_odb *odb, tree_cache *cache, const git_oid *tree, const char *prefix, const tree_walk_cbs *cbs);

/* ---- objparse.c -------------------------------------------------------- */

/* A commit's links, read from its raw bytes. */
typedef struct commit_info {
	git_oid tree;
	git_oid *parents;     /* nparents of them, owned: commit_info_clear */
	size_t nparents, cap;
	int64_t time;         /* the committer's, 0 when unreadable */
	size_t message;       /* offset of the message (the length when there is none) */
} commit_info;

/* 0, or -1 when data is not a commit git would read. */
int commit_parse(const void *data, size_t len, commit_info *out);
void commit_info_clear(commit_info *c);

/* A tag's target as its header names it, and where its message starts. */
typedef struct tag_info {
	git_oid target;
	git_object_t type;
	size_t message;
} tag_info;

int tag_parse(const void *data, size_t len, tag_info *out);

/* ---- index.c: the parser under staged_changes, for the fuzz harness ---- */

typedef struct index_entry {
	const char *path; /* into the buffer (v2, v3) or into paths (v4); NUL-terminated */
	size_t len;
	uint32_t mode;
	const unsigned char *id;
	unsigned stage; /* 0, or a conflict's 1-3 */
	int skip; /* a conflict stage or an intent-to-add entry: not committed */
} index_entry;

/* A cache-tree node: one directory, valid when count >= 0 (then id is its tree). */
typedef struct ctnode {
	const char *name;
	size_t len;
	long count;
	const unsigned char *id;
	size_t nsub;
	size_t span; /* this node and all below it: nodes are stored in pre-order */
} ctnode;

typedef struct index_file {
	size_t hashlen; /* of its ids: ODB_SHA1_LEN or ODB_SHA256_LEN, the repository's */
	index_entry *e;
	size_t n;
	char *paths;   /* v4: the expanded paths */
	ctnode *root;  /* NULL without a (readable) TREE extension */
	ctnode *nodes; /* storage of every node */
	size_t nnodes, capnodes;
	/* a split index (the link extension): the shared index it builds on,
	 * which of that one's entries it deletes and replaces (EWAH bitmaps) */
	int split;                  /* 1 until index_merge_shared has run */
	unsigned char shared_id[ODB_SHA256_LEN]; /* hashlen bytes of it */
	const unsigned char *del_words, *rep_words;
	size_t ndel_words, nrep_words;
	struct index_file *base;    /* the shared index, once merged (owned) */
} index_file;

/*
 * Parses the bytes of an index file (versions 2, 3 and 4), which x points
 * into: buf must outlive x. Returns 0, or -1 with *why set to a message
 * (x is then cleared). A cache-tree it cannot read is only a lost shortcut.
 */
int index_parse(index_file *x, const unsigned char *buf, size_t size, const char **why);
/* The same for an index whose ids are hashlen bytes long (its format does
 * not say: the repository's extensions.objectformat does). */
int index_parse_ids(index_file *x, const unsigned char *buf, size_t size, size_t hashlen, const char **why);
void index_free(index_file *x);

/*
 * A split index (x->split): merges in the shared index it names
 * ($GIT_DIR/sharedindex.<shared_id>, parsed into base, which must not be
 * split itself) as git does, leaving x sorted in git's order. x takes base
 * (freed with x; base's buffer must outlive x). 0, or -1 with *why (x and
 * base are then unchanged).
 */
int index_merge_shared(index_file *x, index_file *base, const char **why);

/* staged_changes (gitscan.h) on a parsed index: cb for each blob the index
 * adds or changes against head_tree, and the blobs that are gone. A split
 * index must have been merged (index_merge_shared) first, else -1. */
int index_diff(git_odb *odb, const index_file *x, const git_oid *head_tree, tree_change_cb cb, void *payload,
	       git_oid **gone, size_t *ngone);

/* What index_diff_ids reports, and where it reads HEAD's trees. Ids are the
 * index's hashlen bytes. */
typedef struct index_diff_io {
	/* HEAD's trees: through libgit2 when odb is set (SHA-1), else through
	 * read_tree (0 and the tree's bytes in *out, -1 when it cannot) */
	git_odb *odb;
	int (*read_tree)(const unsigned char *id, raw_object *out, void *payload);
	/* a blob the index adds or changes at path; old_id NULL when HEAD has no blob there */
	int (*changed)(const char *path, const unsigned char *old_id, const unsigned char *new_id, void *payload);
	/* a file HEAD has at path where the index has none (NULL: not wanted);
	 * a directory the index lacks whole is not read, so not listed */
	int (*gone)(const char *path, const unsigned char *id, unsigned mode, void *payload);
	void *payload;
} index_diff_io;

/* index_diff_ids' answer when a sparse directory entry changed and there is no
 * odb: its trees are diffed through libgit2 only, so the caller asks git. */
#define INDEX_DIFF_SPARSE (-2)
/* index_diff for any id length: 0, -1, INDEX_DIFF_SPARSE or a callback's stop.
 * head_tree NULL: an unborn branch. */
int index_diff_ids(const index_file *x, const unsigned char *head_tree, const index_diff_io *io);

/* An index file mapped and parsed, its shared index merged in when split. */
typedef struct index_loaded {
	index_file x;
	void *map, *smap;
	size_t size, ssize;
} index_loaded;

/* Loads the index at index_path (a split index's shared one beside it, else
 * in gitdir, which may be NULL): 1, 0 when there is no index file (an empty
 * index; l is cleared), -1 with *why (printed by nobody). index_unload frees. */
int index_load(index_loaded *l, const char *index_path, const char *gitdir, size_t hashlen, const char **why);
void index_unload(index_loaded *l);

#endif
