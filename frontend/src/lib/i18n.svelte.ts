import { safeGet, safeSet } from './theme.svelte';

const en = {
  'app.name': 'Holdfast',
  'sidebar.new': 'New chat',
  'sidebar.search': 'Search chats',
  'sidebar.searchHint': 'Search titles and messages (Ctrl+K)',
  'sidebar.empty': 'No chats yet.',
  'sidebar.noResults': 'No chats match “{q}”.',
  'sidebar.rename': 'Rename',
  'sidebar.delete': 'Delete',
  'sidebar.settings': 'Settings',
  'sidebar.messages': '{n} messages',
  'confirm.deleteTitle': 'Delete this chat?',
  'confirm.deleteBody': '“{title}” and all its messages will be removed. This cannot be undone.',
  'confirm.delete': 'Delete',
  'confirm.cancel': 'Cancel',
  'status.connecting': 'Connecting…',
  'status.live': 'Live',
  'status.reconnecting': 'Reconnecting in {s}s (attempt {n})',
  'status.reconnectingNow': 'Reconnecting (attempt {n})…',
  'status.offline': 'Offline, retrying in {s}s',
  'status.failed': 'Disconnected: {reason}',
  'status.closed': 'Closed',
  'status.reconnect': 'Reconnect',
  'status.unauthorized': 'the access token was refused. Open the address printed by “holdfast serve”.',
  'chat.placeholder': 'Message Holdfast… (Enter to send, Shift+Enter for a new line)',
  'chat.send': 'Send',
  'chat.stop': 'Stop',
  'chat.continue': 'Continue',
  'chat.regenerate': 'Regenerate',
  'chat.edit': 'Edit',
  'chat.saveSend': 'Save & send',
  'chat.cancel': 'Cancel',
  'chat.copy': 'Copy',
  'chat.copied': 'Copied',
  'chat.showMore': 'Show all ({n} characters)',
  'chat.showLess': 'Show less',
  'chat.copyCode': 'Copy',
  'chat.pending': 'Pending: will be sent when the connection is back',
  'chat.sending': 'Sending…',
  'chat.discard': 'Discard',
  'chat.streaming': 'Writing…',
  'chat.stopped': 'Stopped',
  'chat.interrupted': 'Interrupted: the app stopped while this answer was being written.',
  'chat.failed': 'The answer failed',
  'chat.loadOlder': 'Load earlier messages',
  'chat.loading': 'Loading…',
  'chat.pause': 'Pause live view',
  'chat.resume': 'Resume live view',
  'chat.paused': 'Live view paused. The answer keeps being written and saved; resume to see it.',
  'chat.model': 'Model',
  'chat.demo': 'demo',
  'chat.export': 'Export',
  'chat.you': 'You',
  'chat.assistant': 'Assistant',
  'chat.emptyTitle': 'Start the conversation',
  'chat.emptyBody': 'Type a message below. Every word of the answer is saved as it arrives, so a dropped connection or a restart never loses it.',
  'chat.demoNote': 'You are using the built-in Demo model: it works offline and writes sample answers. Add real providers (OpenAI, Anthropic, Ollama, …) in config.toml in the Holdfast data folder.',
  'welcome.title': 'Welcome to Holdfast',
  'welcome.body': 'A chat app whose answers never get lost: everything is written to disk as it streams and the view picks up exactly where it left off after a network drop, a restart, or sleep.',
  'welcome.providers': 'Holdfast starts with a Demo model so you can try it right away. To use real models, add providers to config.toml in the data folder (File → Open Data Folder in the desktop app; $HOLDFAST_HOME when running “holdfast serve”). Changes are picked up without a restart.',
  'welcome.start': 'Start a chat',
  'settings.title': 'Settings',
  'settings.theme': 'Theme',
  'settings.language': 'Language',
  'settings.system': 'System',
  'settings.light': 'Light',
  'settings.dark': 'Dark',
  'settings.auto': 'Automatic',
  'settings.providers': 'Providers',
  'settings.systemPrompt': 'System prompt for this chat',
  'settings.save': 'Save',
  'settings.close': 'Close',
  'settings.version': 'Server version {v}',
  'theme.toggle': 'Toggle dark mode',
  'error.network': 'Cannot reach the Holdfast server.',
  'error.generic': '{what} failed: {reason}',
  'error.rejected': 'Message not sent: {reason}',
  'action.send': 'Send',
  'action.stop': 'Stop',
  'action.continue': 'Continue',
  'action.regenerate': 'Regenerate',
  'action.edit': 'Edit',
  'action.rename': 'Rename',
  'action.delete': 'Delete',
  'action.create': 'New chat',
  'action.model': 'Change model',
  'action.load': 'Load chat',
  'action.export': 'Export',
  'action.pause': 'Pause',
  'action.save': 'Save',
  'toast.copied': 'Copied to the clipboard',
} as const;

export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  'app.name': 'Holdfast',
  'sidebar.new': '新对话',
  'sidebar.search': '搜索对话',
  'sidebar.searchHint': '搜索标题和消息内容（Ctrl+K）',
  'sidebar.empty': '还没有对话。',
  'sidebar.noResults': '没有与“{q}”匹配的对话。',
  'sidebar.rename': '重命名',
  'sidebar.delete': '删除',
  'sidebar.settings': '设置',
  'sidebar.messages': '{n} 条消息',
  'confirm.deleteTitle': '删除这个对话？',
  'confirm.deleteBody': '“{title}”及其全部消息将被删除，且无法恢复。',
  'confirm.delete': '删除',
  'confirm.cancel': '取消',
  'status.connecting': '正在连接…',
  'status.live': '已连接',
  'status.reconnecting': '{s} 秒后重连（第 {n} 次）',
  'status.reconnectingNow': '正在重连（第 {n} 次）…',
  'status.offline': '离线，{s} 秒后重试',
  'status.failed': '连接已断开：{reason}',
  'status.closed': '已关闭',
  'status.reconnect': '重新连接',
  'status.unauthorized': '访问令牌被拒绝。请打开 “holdfast serve” 输出的地址。',
  'chat.placeholder': '给 Holdfast 发消息…（Enter 发送，Shift+Enter 换行）',
  'chat.send': '发送',
  'chat.stop': '停止',
  'chat.continue': '继续',
  'chat.regenerate': '重新生成',
  'chat.edit': '编辑',
  'chat.saveSend': '保存并发送',
  'chat.cancel': '取消',
  'chat.copy': '复制',
  'chat.copied': '已复制',
  'chat.showMore': '显示全部（{n} 个字符）',
  'chat.showLess': '收起',
  'chat.copyCode': '复制',
  'chat.pending': '待发送：连接恢复后自动发送',
  'chat.sending': '正在发送…',
  'chat.discard': '丢弃',
  'chat.streaming': '正在生成…',
  'chat.stopped': '已停止',
  'chat.interrupted': '已中断：生成这条回答时应用停止了运行。',
  'chat.failed': '回答生成失败',
  'chat.loadOlder': '加载更早的消息',
  'chat.loading': '正在加载…',
  'chat.pause': '暂停实时显示',
  'chat.resume': '恢复实时显示',
  'chat.paused': '实时显示已暂停。回答仍在生成并保存，恢复后即可看到。',
  'chat.model': '模型',
  'chat.demo': '演示',
  'chat.export': '导出',
  'chat.you': '你',
  'chat.assistant': '助手',
  'chat.emptyTitle': '开始对话',
  'chat.emptyBody': '在下方输入消息。回答的每个字都会在到达时保存，断网或重启都不会丢失。',
  'chat.demoNote': '当前使用内置的演示模型：无需联网，会生成示例回答。可在 Holdfast 数据目录中的 config.toml 里添加真实的模型提供方（OpenAI、Anthropic、Ollama 等）。',
  'welcome.title': '欢迎使用 Holdfast',
  'welcome.body': '一个不会丢失回答的聊天应用：所有内容在流式生成时即写入磁盘，断网、重启或睡眠唤醒后都能从中断处精确继续。',
  'welcome.providers': 'Holdfast 自带一个演示模型，可以马上试用。要使用真实模型，请在数据目录的 config.toml 中添加提供方（桌面版：文件 → 打开数据文件夹；运行 “holdfast serve” 时为 $HOLDFAST_HOME）。修改后无需重启即可生效。',
  'welcome.start': '开始对话',
  'settings.title': '设置',
  'settings.theme': '主题',
  'settings.language': '语言',
  'settings.system': '跟随系统',
  'settings.light': '浅色',
  'settings.dark': '深色',
  'settings.auto': '自动',
  'settings.providers': '模型提供方',
  'settings.systemPrompt': '本对话的系统提示词',
  'settings.save': '保存',
  'settings.close': '关闭',
  'settings.version': '服务器版本 {v}',
  'theme.toggle': '切换深色模式',
  'error.network': '无法连接到 Holdfast 服务器。',
  'error.generic': '{what}失败：{reason}',
  'error.rejected': '消息未发送：{reason}',
  'action.send': '发送',
  'action.stop': '停止',
  'action.continue': '继续',
  'action.regenerate': '重新生成',
  'action.edit': '编辑',
  'action.rename': '重命名',
  'action.delete': '删除',
  'action.create': '新建对话',
  'action.model': '切换模型',
  'action.load': '加载对话',
  'action.export': '导出',
  'action.pause': '暂停',
  'action.save': '保存',
  'toast.copied': '已复制到剪贴板',
};

export type Locale = 'en' | 'zh';
export type LocalePref = Locale | 'auto';

const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, zh };
const key = 'holdfast.locale';

/** Picks Chinese for any zh-* browser language, English otherwise. */
export function detectLocale(languages: readonly string[]): Locale {
  for (const l of languages) {
    const lower = l.toLowerCase();
    if (lower.startsWith('zh')) return 'zh';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

/** Formats `{name}` placeholders. */
export function format(template: string, vars: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** English and Simplified Chinese: follows navigator.language until the user picks one. */
export class I18n {
  pref = $state<LocalePref>('auto');
  readonly locale = $derived<Locale>(
    this.pref === 'auto'
      ? detectLocale(typeof navigator !== 'undefined' ? (navigator.languages ?? [navigator.language]) : [])
      : this.pref,
  );

  constructor() {
    const saved = safeGet(key);
    if (saved === 'en' || saved === 'zh' || saved === 'auto') this.pref = saved;
    this.#apply();
  }

  set(pref: LocalePref): void {
    this.pref = pref;
    safeSet(key, pref);
    this.#apply();
  }

  t = (k: MessageKey, vars?: Record<string, string | number>): string => format(dictionaries[this.locale][k], vars);

  #apply(): void {
    if (typeof document !== 'undefined') document.documentElement.lang = this.locale === 'zh' ? 'zh-CN' : 'en';
  }
}

export { en as englishMessages, zh as chineseMessages };
