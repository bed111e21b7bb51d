/* Loading a big snapshot builds millions of small cJSON nodes; allocating them one by one and
 * freeing them one by one was about 40% of the load time.  Between begin and end, cJSON allocates
 * from an arena that end drops whole.  cJSON's hooks are process-wide, so this is for one thread
 * at a time (vmmap is single-threaded), and every cJSON tree made in between must be deleted
 * before end. */
#ifndef VMMAP_REPORT_JSON_ARENA_H
#define VMMAP_REPORT_JSON_ARENA_H

void vm_json_arena_begin(void);
void vm_json_arena_end(void);

#endif
