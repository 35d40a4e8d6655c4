// All UI strings, Dutch first. t("key", {name}) fills {name} placeholders (as plain text).

export const messages = {
  nl: {
    appTitle: "Vier hoeken",
    langName: "English",
    langShort: "EN",
    connOpen: "verbonden",
    connConnecting: "opnieuw verbinden…",
    connOffline: "offline",
    readOnly: "Het bord kan even niet opslaan; je notities worden verstuurd zodra het weer kan.",
    homeIntro: "Reageer samen op vier conceptinstrumenten: per hoek drie stations met plakbriefjes.",
    newSession: "Nieuwe sessie starten",
    creating: "Bezig…",
    joinTitle: "Doe mee met code",
    joinCodeLabel: "Code",
    joinButton: "Doe mee",
    joinUnknown: "Geen sessie gevonden met code {code}.",
    errorGeneric: "Er ging iets mis: {message}",
    createdTitle: "Sessie aangemaakt",
    joinCode: "Deelnamecode",
    joinLink: "Deelnamelink",
    facilitatorLink: "Facilitatorlink (bewaar deze goed)",
    viewerLink: "Link voor een scherm (alleen kijken)",
    openAsFacilitator: "Open als facilitator",
    copy: "Kopieer",
    copied: "Gekopieerd",
    profileTitle: "Wie ben je?",
    nameLabel: "Naam (mag leeg blijven)",
    namePlaceholder: "anoniem",
    groupLabel: "Groep",
    noGroup: "geen groep",
    continue: "Verder",
    cornersTitle: "Kies je hoek",
    corner: "Hoek {n}",
    changeCorner: "Hoeken",
    changeProfile: "Naam/groep",
    sessionInfo: "Sessie-info",
    leave: "Verlaten",
    addNote: "+ Notitie",
    addNoteTo: "Notitie toevoegen bij {station}",
    editorPlaceholder: "Typ je reactie… (Enter = opslaan)",
    editNote: "Bewerk notitie",
    deleteNote: "Verwijder",
    confirmDelete: "Deze notitie verwijderen?",
    colour: "Kleur",
    colours: { yellow: "geel", pink: "roze", blue: "blauw", green: "groen", orange: "oranje", purple: "paars" },
    moveTo: "Verplaats naar…",
    moreActions: "Meer acties",
    anonymous: "anoniem",
    pending: "wordt opgeslagen…",
    emptyStation: "Nog geen notities.",
    connecting: "Verbinden…",
    badToken: "Deze link is niet (meer) geldig. Vraag een nieuwe code.",
    opRejected: "Niet opgeslagen: {message}",
    viewerNote: "Je kijkt mee; toevoegen kan niet met deze link.",
    notFound: "Pagina niet gevonden.",
    you: "jij",
    dragging: "wordt verplaatst",
  },
  en: {
    appTitle: "Four corners",
    langName: "Nederlands",
    langShort: "NL",
    connOpen: "connected",
    connConnecting: "reconnecting…",
    connOffline: "offline",
    readOnly: "The board cannot save right now; your notes will be sent when it can.",
    homeIntro: "React together to four concept instruments: three stations with sticky notes per corner.",
    newSession: "Start a new session",
    creating: "Working…",
    joinTitle: "Join with a code",
    joinCodeLabel: "Code",
    joinButton: "Join",
    joinUnknown: "No session found with code {code}.",
    errorGeneric: "Something went wrong: {message}",
    createdTitle: "Session created",
    joinCode: "Join code",
    joinLink: "Join link",
    facilitatorLink: "Facilitator link (keep it safe)",
    viewerLink: "Link for a screen (watch only)",
    openAsFacilitator: "Open as facilitator",
    copy: "Copy",
    copied: "Copied",
    profileTitle: "Who are you?",
    nameLabel: "Name (optional)",
    namePlaceholder: "anonymous",
    groupLabel: "Group",
    noGroup: "no group",
    continue: "Continue",
    cornersTitle: "Choose your corner",
    corner: "Corner {n}",
    changeCorner: "Corners",
    changeProfile: "Name/group",
    sessionInfo: "Session info",
    leave: "Leave",
    addNote: "+ Note",
    addNoteTo: "Add a note to {station}",
    editorPlaceholder: "Type your reaction… (Enter = save)",
    editNote: "Edit note",
    deleteNote: "Delete",
    confirmDelete: "Delete this note?",
    colour: "Colour",
    colours: { yellow: "yellow", pink: "pink", blue: "blue", green: "green", orange: "orange", purple: "purple" },
    moveTo: "Move to…",
    moreActions: "More actions",
    anonymous: "anonymous",
    pending: "saving…",
    emptyStation: "No notes yet.",
    connecting: "Connecting…",
    badToken: "This link is not valid (any more). Ask for a new code.",
    opRejected: "Not saved: {message}",
    viewerNote: "You are watching; this link cannot add notes.",
    notFound: "Page not found.",
    you: "you",
    dragging: "being moved",
  },
};

const LANG_KEY = "vh.lang";
let lang = "nl";
try {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved && messages[saved]) lang = saved;
} catch { /* storage may be off */ }

export function getLang() {
  return lang;
}

export function setLang(next) {
  if (!messages[next]) return;
  lang = next;
  try { localStorage.setItem(LANG_KEY, next); } catch { /* ignore */ }
  document.documentElement.lang = next;
}

export function t(key, params = {}) {
  const table = messages[lang] || messages.nl;
  let value = key.split(".").reduce((o, k) => (o == null ? o : o[k]), table);
  if (value == null) value = key.split(".").reduce((o, k) => (o == null ? o : o[k]), messages.nl);
  if (typeof value !== "string") return value ?? key;
  return value.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}
