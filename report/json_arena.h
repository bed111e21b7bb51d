/* Loading a big snapshot builds millions of small cJSON nodes, and writing one builds and drops
 * a few dozen per region; allocating and freeing them one by one was about 40% of the load time.
 * Between begin and end, cJSON allocates from an arena instead, and frees nothing.
 *
 * cJSON's hooks are process-wide, but the arena is per thread: after begin, every thread that
 * makes cJSON items allocates from its own chunks, which it drops with vm_json_arena_rewind (keep
 * the memory for the next item) or vm_json_arena_thread_end (give it back; every thread but the
 * one that calls end must do this before it finishes).  Every cJSON tree made in between must be
 * done with before its thread rewinds or ends. */
#ifndef VMMAP_REPORT_JSON_ARENA_H
#define VMMAP_REPORT_JSON_ARENA_H

void vm_json_arena_begin(void);
/* Drops everything the calling thread allocated, keeping one chunk for reuse. */
void vm_json_arena_rewind(void);
/* Frees the calling thread's chunks. */
void vm_json_arena_thread_end(void);
/* Back to malloc and free; frees the calling thread's chunks. */
void vm_json_arena_end(void);
/* Back to malloc and free for now, keeping one chunk of the calling thread's for the next begin
 * (freed by vm_json_arena_thread_end or a later end). */
void vm_json_arena_pause(void);

#endif
