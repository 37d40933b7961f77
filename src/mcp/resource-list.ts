/**
 * The resources as resources/list shows them. Kept apart from their readers (resources.ts), which
 * need the bus: listing is part of an agent's handshake and must not wait for the bus to open.
 */
export interface ResourceInfo {
  uri: string;
  name: string;
  description: string;
}

export const RESOURCE_LIST: readonly ResourceInfo[] = [
  { uri: 'daedalus://inbox', name: 'inbox', description: 'Your unread messages (a peek: reading this does not mark them read; poll_messages does).' },
  { uri: 'daedalus://tasks', name: 'tasks', description: "This scope's tasks: counts by state and one compact line per unfinished task." },
  { uri: 'daedalus://instances', name: 'instances', description: 'The live instances of this scope with role, status and current task.' },
];
